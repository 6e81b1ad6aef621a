"""The one place the core's receipts become ATOL Online v5 JSON and its reports become
``FiscalDocument``s. Field names and codes: fiscal.md §2.4 (Platron/atol-sdk-api-v5
``data_objects``, ``GetStatusResponse``); money goes as rubles with 2 decimals."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from kassa.model import (
    CorrectionReceipt,
    CorrectionType,
    DocumentKind,
    FiscalDocument,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    SettlementMethod,
    VatRate,
)

from kassa_atol.online.settings import SNO, OnlineSettings

STAMP = "%d.%m.%Y %H:%M:%S"  # request timestamp and receipt_datetime
EXTERNAL_ID_MAX = 128  # our bound (the v5 limit is not in the sources)

RECEIPT_OPS = {Operation.SELL: "sell", Operation.SELL_REFUND: "sell_refund",
               Operation.BUY: "buy", Operation.BUY_REFUND: "buy_refund"}
# refund corrections are an open question (fiscal.md §13.4): not sent
CORRECTION_OPS = {Operation.SELL: "sell_correction", Operation.BUY: "buy_correction"}
PAYMENT_TYPES = {PaymentKind.CASH: 0, PaymentKind.ELECTRONIC: 1, PaymentKind.PREPAID: 2,
                 PaymentKind.CREDIT: 3, PaymentKind.COUNTER_PROVISION: 4}
METHODS = {m: m.name.lower() for m in SettlementMethod}  # full_payment, credit_payment...
SNO_NAMES = {bit: name for name, bit in SNO.items()}
CORRECTION_TYPES = {CorrectionType.SELF: "self", CorrectionType.INSTRUCTION: "instruction"}


def external_id(key: str, attempt: int = 1) -> str:
    """The v5 ``external_id`` of the ``attempt``-th document for a journal key: the key
    itself first; after a ``fail`` ATOL wants a new one (code 1), so ``<key>.<n>``. Keys
    too long (or with characters a URL would mangle) are hashed, still 1:1 in practice."""
    base = key if (len(key) <= EXTERNAL_ID_MAX - 4 and key.isascii() and key.isprintable()
                   and " " not in key) else "k" + hashlib.sha256(key.encode()).hexdigest()
    return base if attempt == 1 else f"{base}.{attempt}"


def rub(kopecks: int) -> float:
    return round(kopecks / 100, 2)


def kop(rubles: Any) -> int:
    return round(float(rubles) * 100)


def stamp(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime(STAMP)


def _item(line: ReceiptLine) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": line.name, "price": rub(line.price), "quantity": float(line.quantity),
        "sum": rub(line.total), "measure": int(line.measure),
        "payment_method": METHODS[line.settlement_method],
        "payment_object": int(line.payment_object),  # v5: an int (v4: a string)
        "vat": {"type": line.vat.atol, "sum": rub(line.vat_amount)},
    }
    if line.marking_code:
        # v5 carries the code by type; base64 of the code as scanned (unverified)
        item["mark_code"] = {"gs1m": base64.b64encode(line.marking_code.encode()).decode()}
    if line.product_code:
        item["nomenclature_code"] = line.product_code
    return item


def _vats(lines: Iterable[ReceiptLine]) -> list[dict[str, Any]]:
    per: dict[VatRate, int] = {}
    for line in lines:
        per[line.vat] = per.get(line.vat, 0) + line.total
    return [{"type": rate.atol, "sum": rub(rate.vat_amount(total))}
            for rate, total in per.items()]


def _payments(sums: Mapping[int, int]) -> list[dict[str, Any]]:
    # cash net of change: ATOL Online takes payments that sum to the total exactly
    return [{"type": PAYMENT_TYPES[k], "sum": rub(sums[k.tag])}
            for k in PaymentKind if sums[k.tag] > 0]


def _company(cfg: OnlineSettings, taxation: Any, place: str | None) -> dict[str, Any]:
    company: dict[str, Any] = {"inn": cfg.inn,
                               "payment_address": place or cfg.payment_address,
                               "sno": SNO_NAMES.get(taxation, "")}  # the receipt's 1055
    if cfg.company_email:
        company["email"] = cfg.company_email
    return {k: v for k, v in company.items() if v}


def _contact(contact: str | None) -> dict[str, Any]:
    if not contact:
        return {}
    return {"phone": contact} if contact.startswith("+") else {"email": contact}


def _envelope(cfg: OnlineSettings, ext_id: str, at: datetime, tz: tzinfo) -> dict[str, Any]:
    body: dict[str, Any] = {"timestamp": stamp(at, tz), "external_id": ext_id}
    if cfg.callback_url:
        body["service"] = {"callback_url": cfg.callback_url}
    return body


def receipt_body(receipt: Receipt, cfg: OnlineSettings, ext_id: str,
                 tz: tzinfo) -> tuple[str, dict[str, Any]]:
    """(operation path, JSON body) of a cash receipt."""
    client = _contact(receipt.customer_contact)
    if receipt.buyer is not None:
        client.update({k: v for k, v in (("name", receipt.buyer.name),
                                         ("inn", receipt.buyer.inn)) if v})
    doc: dict[str, Any] = {
        "client": client,
        "company": _company(cfg, receipt.taxation, receipt.place),
        "items": [_item(line) for line in receipt.lines],
        "payments": _payments(receipt.sums()),
        "vats": _vats(receipt.lines),
        "total": rub(receipt.total),
    }
    if receipt.cashier is not None:
        doc["cashier"] = receipt.cashier.name
        if receipt.cashier.inn:
            doc["cashier_inn"] = receipt.cashier.inn
    body = _envelope(cfg, ext_id, receipt.issued_at, tz)
    body["receipt"] = doc
    return RECEIPT_OPS[receipt.operation], body


def correction_body(corr: CorrectionReceipt, cfg: OnlineSettings, ext_id: str,
                    tz: tzinfo) -> tuple[str, dict[str, Any]]:
    """(operation path, JSON body) of a correction; ``KeyError`` for a refund correction."""
    op = CORRECTION_OPS[corr.operation]
    info: dict[str, Any] = {"type": CORRECTION_TYPES[corr.correction_type],
                            "base_date": corr.basis_date.strftime("%d.%m.%Y")}
    if corr.basis_number:
        info["base_number"] = corr.basis_number
    doc: dict[str, Any] = {
        "company": _company(cfg, corr.taxation, None),
        "correction_info": info,
        "items": [_item(line) for line in corr.lines],
        "payments": _payments(corr.sums()),
        "vats": _vats(corr.lines),
        "total": rub(corr.total),
    }
    client = _contact(corr.customer_contact)
    if client:
        doc["client"] = client
    if corr.cashier is not None:
        doc["cashier"] = corr.cashier.name
    body = _envelope(cfg, ext_id, corr.issued_at, tz)
    body["correction"] = doc
    return op, body


OP_OPERATION = {"sell": Operation.SELL, "sell_refund": Operation.SELL_REFUND,
                "buy": Operation.BUY, "buy_refund": Operation.BUY_REFUND,
                "sell_correction": Operation.SELL, "buy_correction": Operation.BUY}


def document(report: Mapping[str, Any], op: str, tz: tzinfo) -> FiscalDocument:
    """The ``FiscalDocument`` of a ``done`` report (``payload`` as in GetStatusResponse)."""
    p = report["payload"]
    at = datetime.strptime(str(p["receipt_datetime"]), STAMP).replace(tzinfo=tz)
    detail = {k: report.get(k) for k in ("uuid", "external_id", "group_code") if report.get(k)}
    detail.update({k: p[k] for k in ("fns_site", "ofd_inn", "ofd_receipt_url") if p.get(k)})
    return FiscalDocument(
        kind=DocumentKind.CORRECTION if op.endswith("_correction") else DocumentKind.RECEIPT,
        issued_at=at, number=int(p["fiscal_document_number"]),
        fiscal_sign=str(p["fiscal_document_attribute"]), fn=str(p["fn_number"]),
        register_number=str(p["ecr_registration_number"]) if p.get("ecr_registration_number")
        else None,
        shift=int(p["shift_number"]) if p.get("shift_number") is not None else None,
        receipt_number=int(p["fiscal_receipt_number"])
        if p.get("fiscal_receipt_number") is not None else None,
        total=kop(p["total"]), operation=OP_OPERATION[op], detail=detail)
