"""Fiscal receipts (54-FZ, FFD 1.2) and what a register answers. Pure values, no I/O.

Money is integer kopecks, quantities ``Decimal``. The FFD tag of every field is in its comment.
Constructors only convert; ``kassa.model.fiscal_rules.validate`` checks a receipt against the
FFD and the law (one place for every rule), and the fiscal service calls it before a register
sees the receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from kassa.errors import UserError
from kassa.model.ffd import (
    CorrectionType,
    Measure,
    Operation,
    PaymentKind,
    PaymentObject,
    SettlementMethod,
    TaxSystem,
    VatRate,
)

SHIFT_LIMIT = timedelta(hours=24)  # a shift longer than this refuses receipts until Z


def _decimal(value: Decimal | int | str | float) -> Decimal:
    # no quantize: measured goods may carry 6 places and validation must see what was sent
    return value if isinstance(value, Decimal) else Decimal(str(value))


# typed converters (attrs' bare ``tuple`` leaves mypy an unsolved type variable at call sites)
def _lines(lines: Iterable[ReceiptLine]) -> tuple[ReceiptLine, ...]:
    return tuple(lines)


def _payments(payments: Iterable[ReceiptPayment]) -> tuple[ReceiptPayment, ...]:
    return tuple(payments)


@frozen(kw_only=True)
class Cashier:
    name: str  # 1021
    inn: str | None = None  # 1203, 12 digits


@frozen(kw_only=True)
class Buyer:
    name: str | None = None  # 1227
    inn: str | None = None  # 1228, 10 or 12 digits


@frozen(kw_only=True)
class ReceiptLine:
    """One 1059 item. ``total`` is explicit: price x quantity, rounded half up to the
    kopeck, give or take one kopeck (what ATOL and Shtrih-M accept; it lets a POS spread a
    discount over a line)."""

    name: str  # 1030
    price: int  # 1079, kopecks per unit, after discounts
    quantity: Decimal = field(converter=_decimal)  # 1023
    total: int  # 1043
    vat: VatRate  # 1199
    payment_object: PaymentObject = PaymentObject.COMMODITY  # 1212
    settlement_method: SettlementMethod = SettlementMethod.FULL_PAYMENT  # 1214
    measure: Measure = Measure.PIECE  # 2108
    marking_code: str | None = None  # 2000, as scanned (GS included)
    product_code: str | None = None  # 1162

    @property
    def vat_amount(self) -> int:  # 1200
        return self.vat.vat_amount(self.total)


@frozen(kw_only=True)
class ReceiptPayment:
    kind: PaymentKind  # its tag: 1031 / 1081 / 1215 / 1216 / 1217
    amount: int  # kopecks; cash may be more than is due (change is given from it)


def _sums(payments: Iterable[ReceiptPayment], total: int) -> dict[int, int]:
    out = {k.tag: 0 for k in PaymentKind}
    for p in payments:
        out[p.kind.tag] += p.amount
    out[PaymentKind.CASH.tag] -= _change(payments, total)
    return out


def _change(payments: Iterable[ReceiptPayment], total: int) -> int:
    return max(0, sum(p.amount for p in payments) - total)


@frozen(kw_only=True)
class Receipt:
    """A cash receipt (form 3). ``issued_at`` is the receipt's date as the POS means it (the
    VAT rates valid then apply); ``original_date`` is, for a refund, the date of the sale it
    refunds (whose rates apply instead). ``electronic_only``: not printed, sent to 1008."""

    operation: Operation  # 1054
    taxation: TaxSystem  # 1055, one bit
    lines: tuple[ReceiptLine, ...] = field(converter=_lines)  # 1059
    payments: tuple[ReceiptPayment, ...] = field(converter=_payments)
    total: int  # 1020
    issued_at: datetime  # timezone-aware
    cashier: Cashier | None = None  # 1021 / 1203
    customer_contact: str | None = None  # 1008: +7... or e-mail
    buyer: Buyer | None = None  # 1227 / 1228
    place: str | None = None  # 1187
    address: str | None = None  # 1009
    electronic_only: bool = False
    original_date: date | None = None

    @property
    def change(self) -> int:
        return _change(self.payments, self.total)

    def sums(self) -> dict[int, int]:
        """Kopecks per payment tag (1031, 1081, 1215, 1216, 1217); cash net of change."""
        return _sums(self.payments, self.total)


@frozen(kw_only=True)
class CorrectionReceipt:
    """A correction receipt (form 31): a settlement made without a receipt, or a wrong one.
    The rates valid on ``basis_date`` (the corrected settlement's date) apply."""

    correction_type: CorrectionType  # 1173
    basis_date: date  # 1178 (inside 1174)
    operation: Operation  # 1054 (1..4 in FFD 1.2)
    taxation: TaxSystem  # 1055
    payments: tuple[ReceiptPayment, ...] = field(converter=_payments)
    total: int  # 1020
    issued_at: datetime
    basis_number: str | None = None  # 1179: the tax authority's order, required by instruction
    lines: tuple[ReceiptLine, ...] = field(default=(), converter=_lines)
    cashier: Cashier | None = None
    customer_contact: str | None = None  # 1008

    @property
    def change(self) -> int:
        return _change(self.payments, self.total)

    def sums(self) -> dict[int, int]:
        return _sums(self.payments, self.total)


class DocumentKind(StrEnum):
    RECEIPT = "receipt"
    CORRECTION = "correction"
    SHIFT_OPEN = "shift_open"
    SHIFT_CLOSE = "shift_close"
    X_REPORT = "x_report"
    CASH_IN = "cash_in"
    CASH_OUT = "cash_out"
    TEXT = "text"

    @property
    def fiscal(self) -> bool:
        """Stored in the FN with a fiscal sign (cash in/out and X reports are not)."""
        return self in _FISCAL_KINDS


_FISCAL_KINDS = frozenset({DocumentKind.RECEIPT, DocumentKind.CORRECTION,
                           DocumentKind.SHIFT_OPEN, DocumentKind.SHIFT_CLOSE})


@frozen(kw_only=True)
class FiscalDocument:
    """What a register answered. A fiscal document (receipt, correction, shift open/close)
    has a number, a fiscal sign and the FN; the others have none of them. ``issued_at``
    keeps the register's own UTC offset: the QR carries its wall-clock time."""

    kind: DocumentKind
    issued_at: datetime  # 1012
    number: int | None = None  # 1040
    fiscal_sign: str | None = None  # 1077, digits (a string: leading zeros matter in print)
    fn: str | None = None  # 1041
    register_number: str | None = None  # 1037
    shift: int | None = None  # 1038
    receipt_number: int | None = None  # 1042
    total: int | None = None  # 1020 (cash in / out: the amount)
    operation: Operation | None = None  # 1054
    ofd_confirmed: bool | None = None  # the operator's receipt (form 7) is in; None: unknown
    detail: Mapping[str, Any] = field(factory=dict)  # vendor counters (receipts in the shift...)

    def __attrs_post_init__(self) -> None:
        if self.issued_at.utcoffset() is None:
            raise ValueError("FiscalDocument.issued_at must be timezone-aware")
        if self.kind.fiscal:
            missing = [n for n in ("number", "fiscal_sign", "fn") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"a {self.kind} document needs {', '.join(missing)}")
            if not (self.fiscal_sign or "").isdigit():
                raise ValueError(f"fiscal sign {self.fiscal_sign!r} is not digits")
        elif self.fiscal_sign is not None:
            raise ValueError(f"a {self.kind} document is not fiscal and has no fiscal sign")
        if self.kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION) and (
                self.total is None or self.operation is None):
            raise ValueError(f"a {self.kind} document needs total and operation")

    @property
    def qr(self) -> str | None:
        """The receipt's QR text (FFD annex §15), None for other documents."""
        if self.kind not in (DocumentKind.RECEIPT, DocumentKind.CORRECTION):
            return None
        assert self.total is not None and self.operation is not None  # post-init checked
        assert self.fn is not None and self.number is not None and self.fiscal_sign is not None
        return ReceiptQr(at=self.issued_at, total=self.total, fn=self.fn, number=self.number,
                         fiscal_sign=self.fiscal_sign, operation=self.operation).text


@frozen(kw_only=True)
class ReceiptQr:
    """The six fields of a receipt's QR: ``t=YYYYMMDDTHHMM&s=rub.kop&fn=&i=&fp=&n=``."""

    at: datetime  # 1012, wall-clock time of the register
    total: int  # 1020
    fn: str  # 1041
    number: int  # 1040
    fiscal_sign: str  # 1077
    operation: Operation  # 1054

    @property
    def text(self) -> str:
        rub, kop = divmod(self.total, 100)
        return (f"t={self.at:%Y%m%dT%H%M}&s={rub}.{kop:02d}&fn={self.fn}&i={self.number}"
                f"&fp={int(self.fiscal_sign)}&n={int(self.operation)}")

    @classmethod
    def parse(cls, text: str, tz: tzinfo) -> ReceiptQr:
        """Read a scanned QR (seconds in ``t`` accepted, fields in any order). The QR has
        no UTC offset: ``tz`` is the register's zone. Raises ``ReceiptError``."""
        tags = {"t": 1012, "s": 1020, "fn": 1041, "i": 1040, "fp": 1077, "n": 1054}
        fields: dict[str, str] = {}
        for part in text.strip().split("&"):
            name, eq, value = part.partition("=")
            if not eq or name not in tags or name in fields:
                raise ReceiptError("qr_malformed", text=text[:80])
            fields[name] = value
        for name, tag in tags.items():
            if name not in fields:
                raise ReceiptError("qr_field", tag=tag, field=name)
        try:
            t = fields["t"]
            at = datetime.strptime(t, "%Y%m%dT%H%M%S" if len(t) == 15 else "%Y%m%dT%H%M")
        except ValueError:
            raise ReceiptError("qr_field", tag=1012, field="t") from None
        rub, dot, kop = fields["s"].partition(".")
        if not rub.isdigit() or (dot and not (kop.isdigit() and len(kop) == 2)):
            raise ReceiptError("qr_field", tag=1020, field="s")
        for name in ("fn", "i", "fp", "n"):
            if not fields[name].isdigit():
                raise ReceiptError("qr_field", tag=tags[name], field=name)
        if int(fields["n"]) not in {int(o) for o in Operation}:
            raise ReceiptError("qr_field", tag=1054, field="n")
        return cls(at=at.replace(tzinfo=tz), total=int(rub) * 100 + int(kop or 0),
                   fn=fields["fn"], number=int(fields["i"]), fiscal_sign=fields["fp"],
                   operation=Operation(int(fields["n"])))


@frozen(kw_only=True)
class FiscalStatus:
    """What a register reports about itself. ``shift_expired``: open longer than 24 h, so
    it refuses receipts until the shift is closed."""

    shift_open: bool
    shift: int | None = None  # 1038
    shift_opened_at: datetime | None = None
    shift_expired: bool = False
    unsent_documents: int = 0  # documents the OFD has not confirmed yet
    oldest_unsent_at: datetime | None = None
    fn: str | None = None  # 1041
    fn_expires_at: datetime | None = None
    fn_full: bool = False  # the FN archive is full (or expired): no more fiscal documents
    fn_used_percent: int | None = None  # how full the FN archive is (0-100); None: not told
    paper_ok: bool = True
    ready: bool = True
    message: str | None = None

    @property
    def shift_expires_at(self) -> datetime | None:
        if not self.shift_open or self.shift_opened_at is None:
            return None
        return self.shift_opened_at + SHIFT_LIMIT


def _operations(ops: Mapping[Operation, OperationTotals]) -> Mapping[Operation, OperationTotals]:
    return {Operation(k): v for k, v in ops.items()}


@frozen(kw_only=True)
class OperationTotals:
    """One operation's counters in the open shift: what the FN puts into 1129 / 1130 / 1131
    / 1132 of the shift-close report's 1194 (FFD Tables 51-52). A payment kind the register
    does not report is ``None``, never 0."""

    count: int  # 1135: receipts with this 1054
    total: int  # 1201: their total, kopecks
    cash: int | None = None  # 1136: paid in cash (net of change)
    electronic: int | None = None  # 1138: paid electronically (card, SBP)
    prepaid: int | None = None  # 1218: by an earlier prepayment (advance)
    credit: int | None = None  # 1219: on credit (postpayment)
    other: int | None = None  # 1220: counter-provision


@frozen(kw_only=True)
class ShiftTotals:
    """The register's own counters for its current (or just closed) shift, read from the
    register, never summed by us: the figures the Z report (form 5, 1194) will carry.
    ``operations`` holds each 1054 the register reports (a register that has no purchase
    counters leaves 3 and 4 out); ``receipts`` is 1134 when the register says it (corrections
    included). Cash in / out and the drawer are non-fiscal counters (ATOL ``income`` /
    ``outcome`` / ``cashDrawer``, Shtrih cash registers 242 / 243 / 241)."""

    shift: int | None = None  # 1038
    operations: Mapping[Operation, OperationTotals] = field(factory=dict, converter=_operations)
    receipts: int | None = None  # 1134
    cash_in: int | None = None
    cash_out: int | None = None
    cash_in_drawer: int | None = None

    def of(self, operation: Operation) -> OperationTotals | None:
        """The counters of ``operation``; None when the register does not report it."""
        return self.operations.get(operation)


@frozen(kw_only=True)
class MarkingCheck:
    """The FN's / OISM's answer about a marking code (2000) before it is sold."""

    code: str  # 2000, as scanned
    valid: bool  # may be sold with the planned status
    result: int | None = None  # 2004 bits: the check's result
    item_info: int | None = None  # 2106 bits: the OISM's answer about the item
    message: str | None = None


def validate(receipt: Receipt | CorrectionReceipt) -> None:
    """Raise the first rule ``receipt`` breaks as ``ReceiptError`` (the rules:
    ``kassa.model.fiscal_rules``)."""
    from kassa.model import fiscal_rules

    fiscal_rules.validate(receipt)


class ReceiptError(UserError):
    """A receipt (or a QR) breaks a rule. ``code`` is stable; ``tag`` the FFD tag and
    ``line`` the 1-based line it concerns, when there is one. ``str(err)`` is English;
    ``err.text(locale)`` is the text for a person (``kassa.i18n``, keys ``fiscal.<code>``)."""

    def __init__(self, code: str, *, tag: int | None = None, line: int | None = None,
                 **params: Any) -> None:
        self.code = code
        self.tag = tag
        self.line = line
        self.params = params
        super().__init__(self.text("en"))

    def text(self, locale: str = "ru") -> str:
        if self.line is not None:
            where = _text("where.line", locale, line=self.line, tag=self.tag)
        elif self.tag is not None:
            where = _text("where.tag", locale, tag=self.tag)
        else:
            where = ""
        body = _text(self.code, locale, **self.params)
        return where + body if where else body[:1].upper() + body[1:]


def _text(code: str, locale: str, **params: Any) -> str:
    # the core's own catalogue (plugins cannot override core keys): no plugin loading here,
    # so a receipt can be checked in a process that never built a hub
    from kassa.i18n import CORE

    key = f"fiscal.{code}"
    text = CORE.get(locale, CORE["ru"]).get(key) or CORE["ru"].get(key) or key
    return str(text).format(**params)


__all__ = [
    "SHIFT_LIMIT",
    "Buyer",
    "Cashier",
    "CorrectionReceipt",
    "DocumentKind",
    "FiscalDocument",
    "FiscalStatus",
    "MarkingCheck",
    "OperationTotals",
    "Receipt",
    "ReceiptError",
    "ReceiptLine",
    "ReceiptPayment",
    "ReceiptQr",
    "ShiftTotals",
    "validate",
]
