"""The one mapping between Kassa's fiscal model and ATOL driver v10 JSON tasks (fiscal.md
§2.1, the ATOL-RPC schema): receipts and corrections to tasks, task results back to
``FiscalDocument``, the status tasks to ``FiscalStatus``, marking answers to ``MarkingCheck``.
Amounts on the wire are decimal rubles (floats), ours are integer kopecks."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.model import (
    Cashier,
    CorrectionReceipt,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Operation,
    OperationTotals,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    ShiftTotals,
)
from kassa.model.ffd import (
    CorrectionType,
    PaymentKind,
    SettlementMethod,
    TaxSystem,
)
from kassa.model.fiscal import SHIFT_LIMIT

SELL_TYPES = {Operation.SELL: "sell", Operation.SELL_REFUND: "sellReturn",
              Operation.BUY: "buy", Operation.BUY_REFUND: "buyReturn"}
CORRECTION_TYPES = {Operation.SELL: "sellCorrection", Operation.SELL_REFUND:
                    "sellReturnCorrection", Operation.BUY: "buyCorrection",
                    Operation.BUY_REFUND: "buyReturnCorrection"}
TAXATION = {TaxSystem.OSN: "osn", TaxSystem.USN_INCOME: "usnIncome",
            TaxSystem.USN_INCOME_OUTCOME: "usnIncomeOutcome", TaxSystem.ENVD: "envd",
            TaxSystem.ESHN: "esn", TaxSystem.PATENT: "patent"}
PAYMENT_TYPES = {PaymentKind.CASH: "cash", PaymentKind.ELECTRONIC: "electronically",
                 PaymentKind.PREPAID: "prepaid", PaymentKind.CREDIT: "credit",
                 PaymentKind.COUNTER_PROVISION: "other"}
PAYMENT_METHODS = {SettlementMethod.FULL_PREPAYMENT: "fullPrepayment",
                   SettlementMethod.PREPAYMENT: "prepayment", SettlementMethod.ADVANCE: "advance",
                   SettlementMethod.FULL_PAYMENT: "fullPayment",
                   SettlementMethod.PARTIAL_PAYMENT: "partialPayment",
                   SettlementMethod.CREDIT: "credit",
                   SettlementMethod.CREDIT_PAYMENT: "creditPayment"}
# 1212 codes -> ATOL names, in the order of the ATOL-RPC enum (1..27, then 30..33)
_OBJECT_NAMES = ("commodity excise job service gamblingBet gamblingPrize lottery lotteryPrize "
                 "intellectualActivity payment agentCommission composite another proprietaryLaw "
                 "nonOperatingIncome insuranceContributions merchantTax resortFee deposit "
                 "consumption soleProprietorCPIContributions cpiContributions "
                 "soleProprietorCMIContributions cmiContributions csiContributions "
                 "casinoPayment fundsIssuance").split()
PAYMENT_OBJECTS: dict[int, str] = {i + 1: n for i, n in enumerate(_OBJECT_NAMES)} | {
    30: "exciseWithoutMarking", 31: "exciseWithMarking", 32: "commodityWithoutMarking",
    33: "commodityWithMarking"}
# 2003 planned status (PlannedStatus) -> ATOL itemEstimatedStatus (imc-params.ts)
ESTIMATED_STATUS = {1: "itemPieceSold", 2: "itemDrySold", 3: "itemPieceReturn",
                    4: "itemDryReturn", 255: "itemStatusUnchanged"}


def rubles(kopecks: int) -> float:
    return round(kopecks / 100, 2)


def kopecks(value: Any) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def operator(cashier: Cashier | None, default: str = "") -> dict[str, Any] | None:
    if cashier is None:
        return {"name": default} if default else None
    out: dict[str, Any] = {"name": cashier.name}
    if cashier.inn:
        out["vatin"] = cashier.inn
    return out


def _with_operator(task: dict[str, Any], cashier: Cashier | None, default: str
                   ) -> dict[str, Any]:
    op = operator(cashier, default)
    if op is not None:
        task["operator"] = op
    return task


def item(line: ReceiptLine) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "position", "name": line.name, "price": rubles(line.price),
        "quantity": float(line.quantity), "amount": rubles(line.total),
        "measurementUnit": int(line.measure),
        "paymentMethod": PAYMENT_METHODS[line.settlement_method],
        "paymentObject": PAYMENT_OBJECTS[int(line.payment_object)],
        "tax": {"type": line.vat.atol},
    }
    # line.product_code (1162) is not sent: ATOL's nomenclatureCode is an object
    # {type furs|medicines|tobacco|shoes, gtin, serial} (ATOL-RPC nomenclature-code.ts), not
    # the code as a string, and nothing tells us which type a product code is
    if line.marking_code:
        out["imcParams"] = {"imcType": "auto", "imc": _b64(line.marking_code),
                            "itemEstimatedStatus": "itemPieceSold", "imcModeProcessing": 0}
    return out


def payments(paid: Sequence[ReceiptPayment]) -> list[dict[str, Any]]:
    return [{"type": PAYMENT_TYPES[p.kind], "sum": rubles(p.amount)} for p in paid]


def receipt_task(r: Receipt, default_cashier: str = "") -> dict[str, Any]:
    task: dict[str, Any] = {"type": SELL_TYPES[r.operation],
                            "taxationType": TAXATION[r.taxation],
                            "electronically": r.electronic_only}
    _with_operator(task, r.cashier, default_cashier or "Кассир")
    client: dict[str, Any] = {}
    if r.customer_contact:
        client["emailOrPhone"] = r.customer_contact  # 1008
    if r.buyer is not None:
        if r.buyer.name:
            client["name"] = r.buyer.name  # 1227
        if r.buyer.inn:
            client["vatin"] = r.buyer.inn  # 1228
    if client:
        task["clientInfo"] = client
    if r.place:
        task["paymentsPlace"] = r.place  # 1187
    if r.address:
        task["paymentsAddress"] = r.address  # 1009
    task["items"] = [item(ln) for ln in r.lines]
    task["payments"] = payments(r.payments)
    task["total"] = rubles(r.total)
    return task


def correction_task(c: CorrectionReceipt, default_cashier: str = "") -> dict[str, Any]:
    task: dict[str, Any] = {
        "type": CORRECTION_TYPES[c.operation], "taxationType": TAXATION[c.taxation],
        "correctionType": "instruction" if c.correction_type is CorrectionType.INSTRUCTION
        else "self",
        "correctionBaseDate": c.basis_date.strftime("%Y.%m.%d"),
    }
    if c.basis_number:
        task["correctionBaseNumber"] = c.basis_number
    _with_operator(task, c.cashier, default_cashier or "Кассир")
    if c.customer_contact:
        task["clientInfo"] = {"emailOrPhone": c.customer_contact}
    task["items"] = [item(ln) for ln in c.lines]
    task["payments"] = payments(c.payments)
    task["total"] = rubles(c.total)
    return task


def shift_task(kind: str, cashier: Cashier | None, default_cashier: str = "") -> dict[str, Any]:
    return _with_operator({"type": kind}, cashier, default_cashier)


def cash_task(kind: str, amount: int, cashier: Cashier | None, default_cashier: str = ""
              ) -> dict[str, Any]:
    return _with_operator({"type": kind, "cashSum": rubles(amount)}, cashier, default_cashier)


def text_task(lines: Sequence[str]) -> dict[str, Any]:
    return {"type": "nonFiscal",
            "items": [{"type": "text", "text": ln, "alignment": "left"} for ln in lines]}


STATUS_TASKS = [{"type": "getDeviceStatus"}, {"type": "getShiftStatus"},
                {"type": "getFnInfo"}, {"type": "ofdExchangeStatus"}]


# --- answers --------------------------------------------------------------------------------
def parse_time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    if at.utcoffset() is None:
        raise ValueError(f"ATOL date-time {value!r} has no UTC offset")
    return at


def document(kind: DocumentKind, result: Mapping[str, Any] | None, *, now: datetime,
             operation: Operation | None = None, amount: int | None = None
             ) -> FiscalDocument:
    """A task's ``result`` as the document it made (``now``: the time of the answer, for the
    non-fiscal documents, whose results carry no time)."""
    res = dict(result or {})
    # the driver's own scripts nest them in fiscalParams (closeShift adds receiptsCount
    # there); ATOL-RPC types a shift's result flat: take either
    fp = res.get("fiscalParams") or (res if "fiscalDocumentNumber" in res else None)
    warnings = res.get("warnings") or {}
    detail: dict[str, Any] = {}
    if warnings.get("notPrinted"):
        detail["not_printed"] = True
    if fp is None:
        if kind.fiscal:
            raise ValueError(f"the register answered a {kind} without fiscalParams")
        counters = res.get("counters") or {}
        if "cashSum" in counters:
            detail["cash_in_drawer"] = kopecks(counters["cashSum"])
        return FiscalDocument(kind=kind, issued_at=now, total=amount, detail=detail)
    if "receiptsCount" in fp:
        detail["receipts_in_shift"] = int(fp["receiptsCount"])
    if fp.get("fnsUrl"):
        detail["fns_url"] = fp["fnsUrl"]
    receipt_like = kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION)
    total = kopecks(fp["total"]) if receipt_like and "total" in fp else amount
    return FiscalDocument(
        kind=kind, issued_at=parse_time(fp["fiscalDocumentDateTime"]),
        number=int(fp["fiscalDocumentNumber"]), fiscal_sign=str(fp["fiscalDocumentSign"]),
        fn=str(fp["fnNumber"]), register_number=fp.get("registrationNumber"),
        shift=_int(fp.get("shiftNumber")),
        receipt_number=_int(fp.get("fiscalReceiptNumber")) if receipt_like else None,
        total=total, operation=operation if receipt_like else None, detail=detail)


def status(results: Sequence[Mapping[str, Any]]) -> FiscalStatus:
    """The four status tasks' results (STATUS_TASKS order) as one ``FiscalStatus``."""
    dev = (results[0] or {}).get("deviceStatus", {})
    shift = (results[1] or {}).get("shiftStatus", {})
    fn = (results[2] or {}).get("fnInfo", {})
    ofd = (results[3] or {}).get("status", {})
    state = shift.get("state", dev.get("shift", "closed"))
    fn_warn = fn.get("warnings") or {}
    fn_full = bool(fn_warn.get("memoryOverflow") or fn_warn.get("resourceExhausted"))
    paper = bool(dev.get("paperPresent", True)) and not dev.get("coverOpened", False)
    unsent = int(ofd.get("notSentCount", 0))
    oldest = ofd.get("notSentFirstDocDateTime") if unsent else None
    expires = shift.get("expiredTime")  # the shift's 24 h end (shift-status.ts)
    fn_present = bool(dev.get("fnPresent", True))
    ready = paper and fn_present and not fn_full and not dev.get("blocked", False)
    message = None if ready else ("ФН не найден" if not fn_present else
                                  "архив ФН переполнен" if fn_full else "нет бумаги")
    return FiscalStatus(
        shift_open=state in ("opened", "expired"), shift=_int(shift.get("number")) or None,
        shift_opened_at=parse_time(expires) - SHIFT_LIMIT if expires and state != "closed"
        else None,
        shift_expired=state == "expired", unsent_documents=unsent,
        oldest_unsent_at=parse_time(oldest) if oldest else None,
        fn=fn.get("serial") or None,
        fn_expires_at=parse_time(fn["validityDate"]) if fn.get("validityDate") else None,
        fn_full=fn_full, paper_ok=paper, ready=ready, message=message)


# getShiftTotals receipts.<type> -> 1054 (ATOL-RPC src/types/shift-totals.ts)
TOTALS_OPERATIONS = {"sell": Operation.SELL, "sellReturn": Operation.SELL_REFUND,
                     "buy": Operation.BUY, "buyReturn": Operation.BUY_REFUND}


def shift_totals(result: Mapping[str, Any]) -> ShiftTotals:
    """``getShiftTotals``' result (``{"shiftTotals": {shiftNumber, cashDrawer{sum},
    income{count,sum}, outcome{count,sum}, receipts{sell|sellReturn|buy|buyReturn:
    {count, sum, payments{cash, electronically, prepaid, credit, other}}}}}``, rubles) in
    kopecks. A receipt type or payment kind the answer leaves out is not reported (None)."""
    st = result.get("shiftTotals")
    if not isinstance(st, Mapping):
        raise ValueError("the register answered getShiftTotals without shiftTotals")

    def kop(block: Any, name: str) -> int | None:
        return kopecks(block[name]) if isinstance(block, Mapping) and name in block else None

    ops: dict[Operation, OperationTotals] = {}
    receipts = st.get("receipts") or {}
    for name, op in TOTALS_OPERATIONS.items():
        block = receipts.get(name)
        if not isinstance(block, Mapping):
            continue
        pay = block.get("payments") or {}
        ops[op] = OperationTotals(count=int(block.get("count", 0)), total=kop(block, "sum") or 0,
                                  cash=kop(pay, "cash"), electronic=kop(pay, "electronically"),
                                  prepaid=kop(pay, "prepaid"), credit=kop(pay, "credit"),
                                  other=kop(pay, "other"))
    return ShiftTotals(shift=_int(st.get("shiftNumber")), operations=ops,
                       cash_in=kop(st.get("income"), "sum"),
                       cash_out=kop(st.get("outcome"), "sum"),
                       cash_in_drawer=kop(st.get("cashDrawer"), "sum"))


def marking_params(code: str, planned_status: int, quantity: Decimal | None
                   ) -> dict[str, Any]:
    params: dict[str, Any] = {"imcType": "auto", "imc": _b64(code),
                              "itemEstimatedStatus": ESTIMATED_STATUS.get(planned_status,
                                                                          "itemPieceSold"),
                              "imcModeProcessing": 0}
    if quantity is not None:
        params["itemQuantity"] = float(quantity)
        params["itemUnits"] = 11  # kg: measured goods (2108)
    return params


def marking(code: str, result: Mapping[str, Any]) -> MarkingCheck:
    """``getMarkingCodeValidationStatus``'s answer (ready) as a ``MarkingCheck``; 2106 bits
    0..4 from ``itemInfoCheckResult`` (imcCheckFlag, imcCheckResult, imcStatusInfo,
    imcEstimatedStatusCorrect, ecrStandAloneFlag)."""
    online = result.get("onlineValidation") or {}
    info = online.get("itemInfoCheckResult") or {}
    names = ("imcCheckFlag", "imcCheckResult", "imcStatusInfo", "imcEstimatedStatusCorrect",
             "ecrStandAloneFlag")
    bits = sum(1 << i for i, n in enumerate(names) if info.get(n))
    valid = (bits & 0b1111) == 0b1111 and online.get("markOperatorResponseResult",
                                                      "correct") == "correct"
    status = f"{online.get('markOperatorItemStatus')}, {online.get('markOperatorResponseResult')}"
    return MarkingCheck(code=code, valid=valid, item_info=bits,
                        message=None if valid else status)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _b64(code: str) -> str:
    return base64.b64encode(code.encode()).decode()


__all__ = ["PAYMENT_OBJECTS", "STATUS_TASKS", "correction_task", "document", "receipt_task",
           "shift_totals", "status"]
