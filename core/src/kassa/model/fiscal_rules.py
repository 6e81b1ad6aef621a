"""Every rule a receipt must keep before a register sees it: one place, one error per rule.

``validate(receipt)`` raises the first ``ReceiptError``; ``problems(receipt)`` lists them all
(a till shows every wrong line at once). Rules (FFD 1.2 tag in brackets):

- each line: name 1..128 characters [1030]; price and total >= 0 [1079, 1043]; quantity > 0,
  at most ``MAX_QUANTITY``, 3 decimal places for pieces, 6 for measured goods [1023]; total =
  price x quantity rounded half up, +-1 kopeck [1043]; the VAT rate valid on the receipt's
  date (a refund's: the refunded sale's; a correction's: the basis date) [1199];
  a marking code only on, and always on, goods "with marking" (1212 = 31, 33), one piece per
  marked line [2000];
- receipt: at least one line; total = the sum of the lines [1020]; payments positive, their sum
  covers the total and only cash exceeds it (change is given in cash) [1031..1217]; one tax
  system [1055]; contact a phone ``+<digits>`` or an e-mail [1008], required when the receipt
  is not printed; cashier name 1..64 characters [1021] and a valid INN [1203]; buyer's INN
  valid [1228]; ``issued_at`` timezone-aware [1012]; ``original_date`` only on refunds;
- correction: the basis date [1178] not after the correction, the order number [1179] when the
  correction is by instruction, a total above zero; lines optional (if given, they sum up).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kassa.model.ffd import CorrectionType, Measure, PaymentKind, TaxSystem
from kassa.model.fiscal import (
    Buyer,
    Cashier,
    CorrectionReceipt,
    Receipt,
    ReceiptError,
    ReceiptLine,
    ReceiptPayment,
)
from kassa.model.money import rubles

MAX_AMOUNT = 0xFFFFFFFFFE  # kopecks: Shtrih-M sums are 5 bytes and all-ones means "compute it"
MAX_QUANTITY = Decimal(100_000)  # a guard against a price keyed into the quantity
LINE_TOLERANCE = 1  # kopecks between 1043 and price x quantity that registers accept
NAME_MAX = 128  # 1030
CASHIER_MAX = 64  # 1021
BUYER_MAX = 256  # 1227
PLACE_MAX = 64  # 1187
ADDRESS_MAX = 256  # 1009
CONTACT_MAX = 64  # 1008
PHONE = re.compile(r"\+(7\d{10}|[1-689]\d{7,14})")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def validate(receipt: Receipt | CorrectionReceipt) -> None:
    """Raise the first broken rule as ``ReceiptError``; return None if there is none."""
    for err in _check(receipt):
        raise err


def problems(receipt: Receipt | CorrectionReceipt) -> list[ReceiptError]:
    """Every broken rule, in order: lines first (by number), then the receipt."""
    return list(_check(receipt))


def inn_valid(inn: str) -> bool:
    """A 10-digit (organisation) or 12-digit (person) INN with correct check digits."""
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]

    def check(weights: Sequence[int]) -> int:
        return sum(w * x for w, x in zip(weights, d, strict=False)) % 11 % 10

    if len(d) == 10:
        return check((2, 4, 10, 3, 5, 9, 4, 6, 8)) == d[9]
    return (check((7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == d[10]
            and check((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == d[11])


def line_total(price: int, quantity: Decimal) -> int:
    """price x quantity in kopecks, rounded half up (the documented rounding of 1043)."""
    return int((price * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check(r: Receipt | CorrectionReceipt) -> Iterator[ReceiptError]:
    aware = r.issued_at.utcoffset() is not None
    if isinstance(r, CorrectionReceipt):
        rates_on = r.basis_date
    else:
        refunded = r.original_date if r.operation.refund else None
        rates_on = refunded or r.issued_at.date()
    for n, line in enumerate(r.lines, 1):
        yield from _line(n, line, rates_on)
    if not aware:
        yield ReceiptError("naive_time", tag=1012)
    if isinstance(r, Receipt):
        if not r.lines:
            yield ReceiptError("no_lines", tag=1059)
        if r.original_date is not None:
            if not r.operation.refund:
                yield ReceiptError("original_not_refund")
            elif aware and r.original_date > r.issued_at.date():
                yield ReceiptError("original_future", day=r.original_date.isoformat())
        if r.electronic_only and not r.customer_contact:
            yield ReceiptError("contact_required", tag=1008)
        yield from _buyer(r.buyer)
        yield from _text(r.place, 1187, PLACE_MAX)
        yield from _text(r.address, 1009, ADDRESS_MAX)
    else:
        yield from _correction(r, aware)
    if r.lines and r.total != sum(ln.total for ln in r.lines):
        yield ReceiptError("total_not_lines", tag=1020, total=rubles(r.total),
                           lines=rubles(sum(ln.total for ln in r.lines)))
    if not 0 <= r.total <= MAX_AMOUNT:
        yield ReceiptError("amount_range", tag=1020, amount=rubles(r.total))
    yield from _payments(r.payments, r.total)
    yield from _taxation(r.taxation)
    yield from _contact(r.customer_contact)
    yield from _cashier(r.cashier)


def _line(n: int, ln: ReceiptLine, rates_on: date) -> Iterator[ReceiptError]:
    if not ln.name.strip() or len(ln.name) > NAME_MAX:
        yield ReceiptError("name_length", tag=1030, line=n, max=NAME_MAX)
    if not 0 <= ln.price <= MAX_AMOUNT:
        yield ReceiptError("amount_range", tag=1079, line=n, amount=rubles(ln.price))
    if not 0 <= ln.total <= MAX_AMOUNT:
        yield ReceiptError("amount_range", tag=1043, line=n, amount=rubles(ln.total))
    q = ln.quantity
    places = 3 if ln.measure is Measure.PIECE else 6
    if not q.is_finite() or q <= 0 or q > MAX_QUANTITY:
        yield ReceiptError("quantity_range", tag=1023, line=n, quantity=str(q),
                           max=str(MAX_QUANTITY))
    elif -_exponent(q) > places:
        yield ReceiptError("quantity_places", tag=1023, line=n, quantity=str(q), places=places)
    elif abs(ln.total - line_total(ln.price, q)) > LINE_TOLERANCE:
        yield ReceiptError("line_total", tag=1043, line=n, total=rubles(ln.total),
                           expected=rubles(line_total(ln.price, q)))
    if not ln.vat.valid_on(rates_on):
        yield ReceiptError("vat_date", tag=1199, line=n, rate=ln.vat.label,
                           day=rates_on.isoformat(), valid=_validity(ln))
    marked = ln.payment_object.marked
    if ln.marking_code is not None and not marked:
        yield ReceiptError("marking_not_allowed", tag=2000, line=n,
                           object=int(ln.payment_object))
    elif marked and not ln.marking_code:
        yield ReceiptError("marking_required", tag=2000, line=n, object=int(ln.payment_object))
    elif marked and ln.measure is Measure.PIECE and q.is_finite() and q != 1:
        yield ReceiptError("marking_one_piece", tag=2000, line=n, quantity=str(q))


def _exponent(q: Decimal) -> int:
    exp = q.normalize().as_tuple().exponent  # normalised: 1.500 has 1 place, not 3
    return exp if isinstance(exp, int) else 0


def _validity(ln: ReceiptLine) -> str:
    since, until = ln.vat.valid_from, ln.vat.valid_until
    if since and until:
        return f"{since.isoformat()}..{until.isoformat()}"
    return f"{since.isoformat()}.." if since else f"..{until.isoformat() if until else ''}"


def _payments(payments: Sequence[ReceiptPayment], total: int) -> Iterator[ReceiptError]:
    for p in payments:
        if not 0 < p.amount <= MAX_AMOUNT:
            yield ReceiptError("payment_amount", tag=p.kind.tag, amount=rubles(p.amount))
    paid = sum(p.amount for p in payments)
    not_cash = sum(p.amount for p in payments if p.kind is not PaymentKind.CASH)
    if paid < total:
        yield ReceiptError("underpaid", tag=1020, paid=rubles(paid), total=rubles(total))
    elif not_cash > total:
        yield ReceiptError("change_not_cash", paid=rubles(not_cash), total=rubles(total))


def _taxation(tax: TaxSystem) -> Iterator[ReceiptError]:
    value = int(tax)
    if value <= 0 or value & (value - 1) or value & ~0x3F:
        yield ReceiptError("taxation_one", tag=1055, value=value)


def _contact(contact: str | None) -> Iterator[ReceiptError]:
    if contact is None:
        return
    if len(contact) > CONTACT_MAX or not (PHONE.fullmatch(contact) or EMAIL.fullmatch(contact)):
        yield ReceiptError("contact_format", tag=1008, contact=contact[:CONTACT_MAX])


def _cashier(c: Cashier | None) -> Iterator[ReceiptError]:
    if c is None:
        return
    if not c.name.strip() or len(c.name) > CASHIER_MAX:
        yield ReceiptError("name_length", tag=1021, max=CASHIER_MAX)
    if c.inn is not None and not (len(c.inn) == 12 and inn_valid(c.inn)):
        yield ReceiptError("inn", tag=1203, inn=c.inn)


def _buyer(b: Buyer | None) -> Iterator[ReceiptError]:
    if b is None:
        return
    yield from _text(b.name, 1227, BUYER_MAX)
    if b.inn is not None and not inn_valid(b.inn):
        yield ReceiptError("inn", tag=1228, inn=b.inn)


def _text(value: str | None, tag: int, limit: int) -> Iterator[ReceiptError]:
    if value is not None and (not value.strip() or len(value) > limit):
        yield ReceiptError("name_length", tag=tag, max=limit)


def _correction(r: CorrectionReceipt, aware: bool) -> Iterator[ReceiptError]:
    if not isinstance(r.basis_date, date):
        yield ReceiptError("basis_missing", tag=1178)
    elif aware and r.basis_date > r.issued_at.date():
        yield ReceiptError("basis_future", tag=1178, day=r.basis_date.isoformat())
    if r.correction_type is CorrectionType.INSTRUCTION and not (r.basis_number or "").strip():
        yield ReceiptError("basis_number", tag=1179)
    if r.total <= 0:
        yield ReceiptError("correction_zero", tag=1020)


__all__ = [
    "LINE_TOLERANCE",
    "MAX_AMOUNT",
    "MAX_QUANTITY",
    "inn_valid",
    "line_total",
    "problems",
    "validate",
]
