"""The emulated register behind the Web Server: the FN's counters (FD number over every fiscal
document, receipt number per shift, shift number), the 24-hour shift, the cash drawer, the OFD
backlog, marking-code checks and the injected faults; ``execute(task)`` answers one JSON task
as driver v10 does (fiscal.md §2.1, §12)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from attrs import define, field

from kassa_atol.codes import DriverError as E
from kassa_atol.sim import checks, ofd
from kassa_atol.sim.checks import Refusal

FN = "9999078900000961"  # the ATOL test output's FN (fiscal.md §1.2)
REG_NUMBER = "0000000001002292"
FNS_URL = "www.nalog.gov.ru"
MSK = timezone(timedelta(hours=3))
SHIFT_LIMIT = timedelta(hours=24)
RECEIPTS = {"sell": 1, "sellReturn": 2, "buy": 3, "buyReturn": 4}
CORRECTIONS = {"sellCorrection": 1, "sellReturnCorrection": 2, "buyCorrection": 3,
               "buyReturnCorrection": 4}


@define
class Faults:
    """What a test or the control endpoint breaks. ``paper_after``: the paper runs out while
    the next document prints (it is made, ``warnings.notPrinted``); ``drop_answers``: the next
    n finished requests lose their answer (the connection drops mid-body)."""

    paper: bool = True  # paper present
    cover_open: bool = False
    fn_present: bool = True
    fn_full: bool = False
    ofd_failing: bool = False
    marking_declined: bool = False
    paper_after: bool = False
    drop_answers: int = 0


@define
class Document:
    number: int | None  # 1040; None for non-fiscal documents
    form: str  # the task type that made it
    at: datetime
    total: Decimal | None = None
    sign: str | None = None
    shift: int = 0
    receipt_number: int | None = None
    # what the FN transmits to the OFD: the §9 ticket (sim/ofd.py builds it)
    ticket: dict[str, Any] | None = None


@define
class Kkt:
    clock: Callable[[], datetime] = field(factory=lambda: (lambda: datetime.now(MSK)))
    auto_open_shift: bool = False  # the driver's auto-open of a shift on a receipt
    vat22_from: date = date(2026, 1, 1)  # this firmware knows 22 % from (FFD ЕД-7-20/1050@)
    secret: bytes = b"kassa-atol-sim"  # the FPD's HMAC key: same inputs, same fiscal sign
    faults: Faults = field(factory=Faults)
    fn: str = FN  # 1041
    reg_number: str = REG_NUMBER  # 1037
    user_inn: str = "7700000000"  # 1018, the INN the register is registered to
    user: str = "ООО \"Касса\""  # 1048
    # True: only the OFD link (sim/ofd.py) confirms documents; False: every document counts
    # as confirmed at the next task unless ``ofd_failing`` (no OFD to talk to)
    transmits: bool = False
    ofd_error: str = ""  # the last exchange's failure, "" once one succeeded
    ofd_last_ok: datetime | None = None  # the last confirmed exchange (register time)
    fd: int = 0
    shift: int = 0
    shift_open: bool = False
    shift_opened_at: datetime | None = None
    receipt_number: int = 0
    cash: Decimal = Decimal(0)
    unsent: list[Document] = field(factory=list)
    documents: list[Document] = field(factory=list)
    not_printed: bool = False
    marking: dict[str, Any] | None = None

    # --- probes ----------------------------------------------------------------------------
    def fiscal_documents(self, form: str | None = None) -> list[Document]:
        return [d for d in self.documents if d.number is not None
                and (form is None or d.form == form)]

    def receipts(self) -> list[Document]:
        return [d for d in self.documents if d.form in RECEIPTS or d.form in CORRECTIONS]

    # --- the driver ------------------------------------------------------------------------
    def execute(self, task: Mapping[str, Any]) -> dict[str, Any]:
        """The ``result`` of one task, or ``Refusal`` with the driver's error code."""
        if not isinstance(task, Mapping) or not isinstance(task.get("type"), str):
            raise Refusal(E.NO_REQUIRED_PARAM, "type")
        kind = task["type"]
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise Refusal(E.INVALID_PARAM, f"type {kind!r} is not a task type")
        if not self.faults.ofd_failing and not self.transmits:
            self.unsent.clear()  # the OFD confirmed everything sent so far
            self.ofd_last_ok = self._now().replace(microsecond=0)
        return handler(self, task)

    def _now(self) -> datetime:
        return self.clock()

    def _expired(self) -> bool:
        return bool(self.shift_open and self.shift_opened_at
                    and self._now() - self.shift_opened_at > SHIFT_LIMIT)

    def _can_print(self, fiscal: bool) -> None:
        if fiscal and not self.faults.fn_present:
            raise Refusal(E.FN_NOT_FOUND)
        if fiscal and self.faults.fn_full:
            raise Refusal(E.FN_OVERFLOW)
        if self.faults.cover_open:
            raise Refusal(E.COVER_OPENED)
        if not self.faults.paper or self.not_printed:
            raise Refusal(E.NO_PAPER)

    def _in_shift(self) -> bool:
        """Check the shift for a receipt; True if it was opened automatically."""
        if self._expired():
            raise Refusal(E.SHIFT_EXPIRED)
        if self.shift_open:
            return False
        if not self.auto_open_shift:
            raise Refusal(E.DENIED_IN_CLOSED_SHIFT)
        self._fiscal("openShift")
        self._open()
        return True

    def _open(self) -> None:
        self.shift_open, self.shift_opened_at, self.receipt_number = True, self._now(), 0

    def _fiscal(self, form: str, total: Decimal | None = None, *, receipt: bool = False,
                task: Mapping[str, Any] | None = None, sums: Mapping[str, Decimal] | None = None
                ) -> Document:
        self.fd += 1
        if form == "openShift":
            self.shift += 1
        at = self._now().replace(microsecond=0)
        if receipt:
            self.receipt_number += 1
        mac = hmac.new(self.secret, f"{self.fn}:{self.fd}:{total}:{at.isoformat()}".encode(),
                       hashlib.sha256).digest()
        doc = Document(number=self.fd, form=form, at=at, total=total, shift=self.shift,
                       sign=str(int.from_bytes(mac[:5], "big") % 10**10).zfill(10),
                       receipt_number=self.receipt_number if receipt else None)
        doc.ticket = ofd.ticket(self, doc, task, sums)
        self.documents.append(doc)
        self.unsent.append(doc)
        return doc

    def _answer(self, doc: Document, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "fiscalDocumentDateTime": doc.at.isoformat(), "fiscalDocumentNumber": doc.number,
            "fiscalDocumentSign": doc.sign, "fnNumber": self.fn,
            "registrationNumber": self.reg_number, "shiftNumber": doc.shift, "fnsUrl": FNS_URL}
        if doc.receipt_number is not None:
            params["fiscalReceiptNumber"] = doc.receipt_number
        if doc.total is not None:
            params["total"] = float(doc.total)
        params.update(extra)
        printed = not self.faults.paper_after
        if not printed:  # made in the FN, the paper ran out while printing it
            self.faults.paper_after, self.faults.paper, self.not_printed = False, False, True
        return {"fiscalParams": params, "warnings": {"notPrinted": not printed}}

    def receipt(self, task: Mapping[str, Any]) -> dict[str, Any]:
        correction = task["type"] in CORRECTIONS
        sums = checks.receipt(task, today=self._now().date(), vat22_from=self.vat22_from,
                              correction=correction)
        self._can_print(True)
        auto = self._in_shift()
        self.cash += sums["cash"] - sums["change"] if task["type"] in ("sell", "buyReturn",
                                                                       "sellCorrection") \
            else -(sums["cash"] - sums["change"])
        doc = self._fiscal(task["type"], sums["total"], receipt=True, task=task, sums=sums)
        answer = self._answer(doc)
        if auto:
            answer["shiftAutoOpened"] = True
        return answer

    def open_shift(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if self.shift_open:
            raise Refusal(E.DENIED_IN_OPENED_SHIFT)
        self._can_print(True)
        doc = self._fiscal("openShift")
        self._open()
        return self._answer(doc)

    def close_shift(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if not self.shift_open:
            raise Refusal(E.DENIED_IN_CLOSED_SHIFT)
        self._can_print(True)
        count = self.receipt_number
        doc = self._fiscal("closeShift")
        self.shift_open, self.shift_opened_at = False, None
        return self._answer(doc, receiptsCount=count)

    def non_fiscal(self, task: Mapping[str, Any], form: str, amount: Decimal | None = None
                   ) -> dict[str, Any]:
        self._can_print(False)
        self.documents.append(Document(number=None, form=form, at=self._now(), total=amount,
                                       shift=self.shift))
        return {}

    def report_x(self, task: Mapping[str, Any]) -> dict[str, Any]:
        return self.non_fiscal(task, "reportX")

    def text(self, task: Mapping[str, Any]) -> dict[str, Any]:
        items = checks.need(task, "items")
        if not isinstance(items, list) or not all(
                isinstance(i, Mapping) and i.get("type") in checks.ITEM_TYPES for i in items):
            raise Refusal(E.INVALID_PARAM, "items")
        return self.non_fiscal(task, "nonFiscal")

    def cash_move(self, task: Mapping[str, Any]) -> dict[str, Any]:
        amount = checks.money(checks.need(task, "cashSum"), "cashSum")
        if amount <= 0:
            raise Refusal(E.INVALID_SUM, "cashSum")
        if task["type"] == "cashOut" and amount > self.cash:
            raise Refusal(E.NO_CASH)
        if not self.shift_open:
            raise Refusal(E.DENIED_IN_CLOSED_SHIFT)
        self.non_fiscal(task, task["type"], amount)
        self.cash += amount if task["type"] == "cashIn" else -amount
        return {"counters": {"cashSum": float(self.cash)}}

    def continue_print(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if not self.faults.paper:
            raise Refusal(E.NO_PAPER)
        self.not_printed = False
        return {}

    def device_status(self, task: Mapping[str, Any]) -> dict[str, Any]:
        # fields: ATOL-RPC src/types/device-status.ts
        return {"deviceStatus": {
            "currentDateTime": self._now().replace(microsecond=0).isoformat(),
            "shift": self._shift_state(), "blocked": False,
            "coverOpened": self.faults.cover_open,
            "paperPresent": self.faults.paper and not self.not_printed,
            "fiscal": True, "fnFiscal": True, "fnPresent": self.faults.fn_present,
            "cashDrawerOpened": False}}

    def _shift_state(self) -> str:
        return "expired" if self._expired() else "opened" if self.shift_open else "closed"

    def shift_status(self, task: Mapping[str, Any]) -> dict[str, Any]:
        # fields: ATOL-RPC src/types/shift-status.ts (the opening time is expiredTime - 24 h)
        opened = self.shift_opened_at
        out: dict[str, Any] = {"state": self._shift_state(), "number": self.shift,
                               "documentsCount": self.receipt_number}
        if self.shift_open and opened is not None:
            out["expiredTime"] = (opened + SHIFT_LIMIT).replace(microsecond=0).isoformat()
        return {"shiftStatus": out}

    def shift_totals(self, task: Mapping[str, Any]) -> dict[str, Any]:
        """``getShiftTotals`` (fields: ATOL-RPC src/types/shift-totals.ts, rubles): summed
        from the receipts this FN made in the current (or last) shift, each by its ticket's
        payment sums (cash net of change), so the counters are what was really fiscalised.
        Corrections stay out, as the FN keeps them apart (1133)."""
        mine = [d for d in self.documents if d.shift == self.shift]
        receipts: dict[str, Any] = {}
        for form in RECEIPTS:
            docs = [d for d in mine if d.form == form and d.number is not None]
            tickets = [d.ticket or {} for d in docs]
            receipts[form] = {
                "count": len(docs), "sum": _rub(sum(int(t.get("totalSum", 0)) for t in tickets)),
                "payments": {name: _rub(sum(int(t.get(field, 0)) for t in tickets))
                             for name, field in ofd.PAYMENT_SUMS.items()}}
        moves = {kind: [d.total or Decimal(0) for d in mine if d.form == kind]
                 for kind in ("cashIn", "cashOut")}
        return {"shiftTotals": {
            "shiftNumber": self.shift, "cashDrawer": {"sum": float(self.cash)},
            "income": {"count": len(moves["cashIn"]), "sum": float(sum(moves["cashIn"]))},
            "outcome": {"count": len(moves["cashOut"]), "sum": float(sum(moves["cashOut"]))},
            "receipts": receipts}}

    def fn_info(self, task: Mapping[str, Any]) -> dict[str, Any]:
        # fields: ATOL-RPC src/types/fn-info.ts
        if not self.faults.fn_present:
            raise Refusal(E.FN_NOT_FOUND)
        return {"fnInfo": {"serial": self.fn, "version": "fn-1.2-emulated", "execution": "МГМ",
                           "numberOfRegistrations": 1, "registrationsRemaining": 29,
                           "validityDate": "2027-06-30T00:00:00+03:00", "ffdVersion": "1.2",
                           "fnContainsKeysUpdaterServerUri": True, "fnFfdVersion": "1.2",
                           "livePhase": "fiscalMode",
                           "warnings": {"memoryOverflow": self.faults.fn_full,
                                        "needReplacement": self.faults.fn_full,
                                        "ofdTimeout": bool(self.unsent) and (
                                            self.faults.ofd_failing or bool(self.ofd_error)),
                                        "resourceExhausted": False, "criticalError": False}}}

    def ofd_status(self, task: Mapping[str, Any]) -> dict[str, Any]:
        # fields: ATOL-RPC src/types/ofd-exchange.ts (the error codes/texts are ours)
        first = self.unsent[0] if self.unsent else None
        failing = self.faults.ofd_failing or (self.transmits and bool(self.ofd_error))
        down = {"code": 1, "description": "Нет соединения с ОФД"} if failing \
            else {"code": 0, "description": ""}
        last_ok = self.ofd_last_ok if self.transmits else self._now()
        ok = {"code": 0, "description": ""}
        return {"status": {"notSentCount": len(self.unsent),
                           "notSentFirstDocNumber": first.number if first else 0,
                           "notSentFirstDocDateTime": first.at.isoformat() if first else "",
                           "lastSuccessKeysUpdate": "2026-01-10T09:00:00+03:00"},
                "errors": {"network": down, "ofd": ok, "fn": ok,
                           "documentNumber": first.number if first else 0, "fnCommandCode": 0,
                           "lastSuccessConnectionDateTime": last_ok.replace(
                               microsecond=0).isoformat() if last_ok else ""},
                "warnings": {"dataForSendIsEmpty": not self.unsent}}

    def ofd_report(self, task: Mapping[str, Any]) -> dict[str, Any]:
        self._can_print(True)  # report on the current state of settlements: form 21
        return self._answer(self._fiscal("reportOfdExchangeStatus"))

    def begin_marking(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if self.marking is not None and not self.marking.get("done"):
            raise Refusal(E.MARKING_VALIDATION_IN_PROGRESS)
        params = checks.need(task, "params")
        checks.marking_code(params)
        self.marking = {"params": params, "done": False, "polls": 0}
        return {"offlineValidation": {"fmCheck": True, "fmCheckResult": True}}

    def marking_status(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if self.marking is None:
            raise Refusal(E.INVALID_MODE, "no marking code validation")
        self.marking["polls"] += 1
        waiting = {"ready": False, "sentImcRequest": True,
                   "driverError": {"code": 0, "description": "Ошибок нет"}}
        if self.marking["polls"] < 2:  # the OISM answers on the second poll
            return waiting
        ok = not self.faults.marking_declined
        params = self.marking["params"]
        return {**waiting, "ready": True, "onlineValidation": {  # get-marking-code-...-result.ts
            "itemInfoCheckResult": {"imcCheckFlag": True, "imcCheckResult": ok,
                                    "imcStatusInfo": ok, "imcEstimatedStatusCorrect": ok,
                                    "ecrStandAloneFlag": False},
            "markOperatorItemStatus": "itemEstimatedStatusCorrect" if ok
            else "itemEstimatedStatusIncorrect",
            "markOperatorResponse": {"responseStatus": True, "itemStatusCheck": ok},
            "markOperatorResponseResult": "correct" if ok else "incorrect",
            "imcType": params.get("imcType", "auto"), "imcBarcode": params["imc"],
            "imcModeProcessing": params.get("imcModeProcessing", 0)}}

    def marking_verdict(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if self.marking is None:
            raise Refusal(E.INVALID_MODE, "no marking code validation")
        self.marking["done"] = True
        if task["type"] == "cancelMarkingCodeValidation":
            self.marking = None
        return {}


def _rub(kopecks: int) -> float:
    return float(Decimal(kopecks) / 100)


_Handler = Callable[[Kkt, Mapping[str, Any]], dict[str, Any]]
_HANDLERS: dict[str, _Handler] = {
    **{t: Kkt.receipt for t in (*RECEIPTS, *CORRECTIONS)},
    "openShift": Kkt.open_shift, "closeShift": Kkt.close_shift, "reportX": Kkt.report_x,
    "cashIn": Kkt.cash_move, "cashOut": Kkt.cash_move, "nonFiscal": Kkt.text,
    "continuePrint": Kkt.continue_print, "getDeviceStatus": Kkt.device_status,
    "getShiftStatus": Kkt.shift_status, "getFnInfo": Kkt.fn_info,
    "getShiftTotals": Kkt.shift_totals,
    "ofdExchangeStatus": Kkt.ofd_status, "reportOfdExchangeStatus": Kkt.ofd_report,
    "beginMarkingCodeValidation": Kkt.begin_marking,
    "getMarkingCodeValidationStatus": Kkt.marking_status,
    "acceptMarkingCode": Kkt.marking_verdict, "declineMarkingCode": Kkt.marking_verdict,
    "cancelMarkingCodeValidation": Kkt.marking_verdict,
}
