"""The one place where core types become Lime's: the till's order lines -> check lines
(``goodTypeId`` from ``[lime].good_types`` by product code or menu category, prices per unit
before and after discounts)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from kassa.model import OrderLine

from kassa_lime.check import Line
from kassa_lime.settings import LimeSettings


def payment_line(settings: LimeSettings, amount: int) -> OrderLine:
    """A capture without its check's lines: one line "payment" of the captured amount."""
    return OrderLine(code="", name="Оплата", quantity=Decimal(1), price=amount, amount=amount)


def good_type(settings: LimeSettings, line: OrderLine) -> int:
    """Lime's ``goodTypeId`` of a till line: its code's entry, else its category's, else
    ``default_good_type_id``."""
    code, category = line.code.strip(), (line.category or "").strip()
    by_code = next((g for g in settings.good_types if code and g.code.strip() == code), None)
    if by_code is not None:
        return by_code.good_type_id
    by_cat = next((g for g in settings.good_types
                   if category and not g.code.strip() and g.category.strip() == category), None)
    return settings.default_good_type_id if by_cat is None else by_cat.good_type_id


def lines_for(settings: LimeSettings, lines: Sequence[OrderLine]) -> list[Line]:
    """Check lines without payers yet. ``basePrice`` is the menu price, ``price`` what the
    guest pays per unit. When the discounted unit price is not a whole kopeck (3 for 10.00)
    the line goes as one unit priced at its total, so count x price still equals the sum."""
    out = []
    for ln in lines:
        good = good_type(settings, ln)
        units = Decimal(ln.quantity)
        per_unit = Decimal(ln.amount) / units if units else Decimal(ln.amount)
        if units > 0 and per_unit == per_unit.to_integral_value():
            out.append(Line(name=ln.name, good_type_id=good, units=units,
                            base_price=max(ln.price, int(per_unit)), price=int(per_unit)))
        else:
            whole = int((Decimal(ln.price) * units).to_integral_value())
            out.append(Line(name=ln.name, good_type_id=good, units=Decimal(1),
                            base_price=max(whole, ln.amount), price=ln.amount))
    return out
