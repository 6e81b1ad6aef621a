"""Kassa's receipt model <-> Shtrih-M bytes, in one place: VAT to the FF46 tax byte, payments
to FF45's 16 slots, tags to FF0C TLVs, FF0A answers to ``FiscalDocument``; and the register's
error bytes to the shared errors (hookspecs/fiscal.py's table)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from kassa.model import (
    CorrectionReceipt,
    DocumentKind,
    FiscalDocument,
    Operation,
    PaymentKind,
    Receipt,
    VatRate,
)
from kassa.model.fiscal import ReceiptError

from kassa_shtrih import codes
from kassa_shtrih import commands as c
from kassa_shtrih.commands import FoundDocument
from kassa_shtrih.texts import ShtrihPermanent, ShtrihRetryLater, ShtrihUserError

# FF45 slot (0-based) per payment kind: 1 cash, 2 electronic; 14..16 prepayment, credit,
# counter-provision (Shtrih's FN firmware defaults; unverified, see docs/plugins/shtrih.md)
SLOTS: dict[PaymentKind, int] = {PaymentKind.CASH: 0, PaymentKind.ELECTRONIC: 1,
                                 PaymentKind.PREPAID: 13, PaymentKind.CREDIT: 14,
                                 PaymentKind.COUNTER_PROVISION: 15}

_KINDS = {2: DocumentKind.SHIFT_OPEN, 3: DocumentKind.RECEIPT, 31: DocumentKind.CORRECTION,
          5: DocumentKind.SHIFT_CLOSE}
FORM = {v: k for k, v in _KINDS.items()}


def tax_byte(rate: VatRate, main_vat: int, line: int) -> int:
    """FF46 tax rate: one bit (fiscal.md §3.2; §13.2 decided in the plugin docs). 0x01 and
    0x10 are the firmware's main rate (22 % from 2026, 20 % before)."""
    table = {VatRate.VAT10: 0x02, VatRate.VAT0: 0x04, VatRate.NONE: 0x08,
             VatRate.VAT10_110: 0x20}
    if main_vat == 22:
        table |= {VatRate.VAT22: 0x01, VatRate.VAT22_122: 0x10}
    else:
        table |= {VatRate.VAT20: 0x01, VatRate.VAT20_120: 0x10}
    if rate not in table:
        raise ShtrihUserError("shtrih.vat", line=line, rate=rate.label, main=main_vat)
    return table[rate]


def payments(receipt: Any) -> list[int]:
    slots = [0] * 16
    for p in receipt.payments:
        slots[SLOTS[p.kind]] += p.amount
    return slots


def tlvs(receipt: Any) -> list[tuple[int, bytes]]:
    """The tags FF0C puts into the open document (1008, 1021/1203, 1227/1228, 1187, 1009)."""
    out: list[tuple[int, bytes]] = []

    def add(tag: int, value: str | None) -> None:
        if value:
            out.append((tag, c.text(value)))

    add(1008, receipt.customer_contact)
    if receipt.cashier is not None:
        add(1021, receipt.cashier.name)
        add(1203, receipt.cashier.inn)
    buyer = getattr(receipt, "buyer", None)
    if buyer is not None:
        add(1227, buyer.name)
        add(1228, buyer.inn)
    add(1187, getattr(receipt, "place", None))
    add(1009, getattr(receipt, "address", None))
    return out


def correction_tlvs(corr: CorrectionReceipt) -> list[tuple[int, bytes]]:
    """FFD 1.2 correction with items: 1173 (one byte) and 1174 {1178, 1179} through FF0C,
    then the receipt's own tags."""
    return [(1173, bytes([int(corr.correction_type)])),
            (1174, c.correction_basis(corr.basis_date, corr.basis_number)), *tlvs(corr)]


def line_name(name: str, electronic_only: bool) -> str:
    # "//" sends the name to the OFD without printing it (FSPrintRecItem.java)
    return ("//" + name) if electronic_only else name


def document(found: FoundDocument, *, fn: str, tz: timezone, receipt_number: int | None = None,
             shift: int | None = None, detail: Mapping[str, Any] | None = None
             ) -> FiscalDocument:
    kind = _KINDS.get(found.type)
    if kind is None:
        raise ValueError(f"FD {found.number} has type {found.type}, not one Kassa makes")
    return FiscalDocument(
        kind=kind, issued_at=found.at.replace(tzinfo=tz), number=found.number,
        fiscal_sign=f"{found.fiscal_sign:010d}", fn=fn, shift=found.shift or shift,
        receipt_number=receipt_number, total=found.total,
        operation=Operation(found.operation) if found.operation else None,
        ofd_confirmed=found.ofd_confirmed, detail=dict(detail or {}))


def matches(found: FoundDocument, kind: DocumentKind, total: int | None,
            operation: int | None, since: datetime) -> bool:
    """The FD is what the recorded request would have made: its type, and for receipts
    the sum and 1054; not older than the request (the FN stores minutes)."""
    if FORM.get(kind) != found.type:
        return False
    if kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION):
        if found.total != total or found.operation != operation:
            return False
    return found.at >= since.replace(second=0, microsecond=0) - timedelta(minutes=1)


def refused(name: str, code: int, what: str) -> Exception:
    """The shared error for the register's error byte ``code`` (the answer came, so the
    register did nothing)."""
    text = codes.error_text(code)
    if len(text) > 1 and text[1].islower():  # "Нет чековой ленты" -> "нет ...", "ФН" stays
        text = text[0].lower() + text[1:]
    if code in codes.SHIFT_CLOSED:
        return ReceiptError("shift_closed")
    if code in codes.SHIFT_EXPIRED:
        return ReceiptError("shift_expired")
    if code in codes.NOT_NOW:
        return ShtrihRetryLater("shtrih.not_now", name=name, reason=text, what=what, after=10)
    if code in codes.BROKEN:
        return ShtrihPermanent("shtrih.broken", name=name, reason=text, code=code)
    return ShtrihUserError("shtrih.refused", name=name, what=what, reason=text, code=code)


def is_receipt(value: Any) -> bool:
    return isinstance(value, Receipt)
