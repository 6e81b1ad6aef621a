"""Discounts on a check: automatic rules, client rules, manual discounts and the loyalty
quote, each turned into whole kopecks per line.

Order (each step works on what the line still costs after the steps before it):

1. automatic rules (``[[pos.discounts]]``: item, group, whole check, sets "buy N get M",
   client groups), each under its conditions (time window, days, a quantity threshold).
   They do not stack: each line gets the one rule worth most to it (the first in config
   order on a tie);
2. manual discounts the cashier gives (``Right.MANUAL_DISCOUNT``), on one line or the check;
3. the loyalty programme's quote (``LoyaltyProgram.quote``): its per-item discounts on the
   lines of that item, the rest of its discount over the check.

A line flagged ``no_discount`` takes none of them. A percent of a line is rounded half up to
the kopeck. An amount spread over several lines is split by the **largest remainder**: each
line gets ``floor(D x w / W)`` (``w`` its amount, ``W`` theirs together), and the kopecks
left over go one each to the lines with the largest remainders of that division, the earlier
line first on a tie. The line discounts then add up to the discount exactly, no line gets
more than it costs, and the same check always splits the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from attrs import field, frozen
from kassa.model import Quote

from kassa_pos.settings import DiscountRule


def round_kopecks(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_base(price: int, quantity: Decimal) -> int:
    """``price x quantity`` rounded half up to the kopeck (as ``ReceiptLine.total``)."""
    return round_kopecks(Decimal(price) * quantity)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` kopecks over ``weights`` by the largest remainder (see the module).

    ``0 <= total <= sum(weights)``; every share is at most its weight."""
    whole = sum(weights)
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate: negative amounts")
    if total > whole:
        raise ValueError(f"allocate: {total} is more than the lines' {whole}")
    if total == 0 or whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return shares


@frozen
class Basis:
    """What pricing needs of one live line: ``base`` is ``price x quantity`` rounded."""

    no: int
    code: str
    group: str
    price: int
    quantity: Decimal
    discountable: bool = True
    piece: bool = True  # counted in whole units (a set counts them)

    @property
    def base(self) -> int:
        return line_base(self.price, self.quantity)


@frozen
class Manual:
    """A discount the cashier gave: ``percent`` or ``amount`` (kopecks), on line ``line``
    or the whole check (None). ``by`` and ``manager``: staff codes (the audit names them)."""

    id: int
    percent: Decimal | None = None
    amount: int | None = None
    line: int | None = None
    reason: str = ""
    by: str = ""
    manager: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a manual discount is a percent or an amount")
        if self.percent is not None and not Decimal(0) < self.percent <= Decimal(100):
            raise ValueError("a discount's percent is above 0 and at most 100")
        if self.amount is not None and self.amount <= 0:
            raise ValueError("a discount's amount is positive")


@frozen
class Applied:
    """One discount on one line: ``source`` is ``rule``, ``manual`` or ``loyalty``."""

    source: str
    name: str
    amount: int


def _applied(value: Iterable[Applied]) -> tuple[Applied, ...]:
    return tuple(value)


@frozen
class LinePrice:
    no: int
    base: int
    applied: tuple[Applied, ...] = field(default=(), converter=_applied)

    @property
    def discount(self) -> int:
        return sum(a.amount for a in self.applied)

    @property
    def amount(self) -> int:
        return self.base - self.discount


@frozen
class Pricing:
    """A check's lines priced: ``lines`` by line number, in the check's order."""

    lines: Mapping[int, LinePrice]
    bonus_earn: int = 0
    bonus_spend_max: int = 0

    @property
    def subtotal(self) -> int:
        return sum(p.base for p in self.lines.values())

    @property
    def discount(self) -> int:
        return sum(p.discount for p in self.lines.values())

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.lines.values())

    def by_source(self, source: str) -> int:
        return sum(a.amount for p in self.lines.values() for a in p.applied
                   if a.source == source)


def in_window(rule: DiscountRule, now: datetime) -> bool:
    """The rule's time window and days hold at ``now`` (the shop's local time)."""
    if rule.days and now.isoweekday() not in rule.days:
        return False
    if not rule.time_from:
        return True
    start, end, t = _hhmm(rule.time_from), _hhmm(rule.time_to), now.time()
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # wraps past midnight


def _hhmm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def _matches(rule: DiscountRule, b: Basis) -> bool:
    if rule.kind == "item":
        return b.code in rule.items
    if rule.kind == "group":
        return b.group in rule.groups
    if rule.kind in ("set", "client"):
        if not rule.items and not rule.groups:
            return True
        return b.code in rule.items or b.group in rule.groups
    return True  # check


def _unit_off(rule: DiscountRule, b: Basis, base: int) -> int:
    if rule.percent:
        return min(base, round_kopecks(Decimal(base) * rule.percent / 100))
    return min(base, round_kopecks(Decimal(rule.amount) * b.quantity))


def _set_discounts(rule: DiscountRule, lines: Sequence[Basis]) -> dict[int, int]:
    """Buy ``buy`` get ``free``: of every ``buy + free`` matching units the cheapest ``free``
    are free. Whole units of piece goods only; the free units go to the cheapest lines."""
    units = [(b.price, b.no) for b in lines for _ in range(int(b.quantity))
             if b.piece and b.quantity == b.quantity.to_integral_value()]
    free = len(units) // (rule.buy + rule.free) * rule.free
    out: dict[int, int] = {}
    for price, no in sorted(units)[:free]:
        out[no] = out.get(no, 0) + price
    return out


def automatic(rules: Sequence[DiscountRule], lines: Sequence[Basis], now: datetime,
              guest_groups: Iterable[str] = ()) -> dict[int, Applied]:
    """The best automatic rule for each line (see the module): line number -> discount."""
    groups = set(guest_groups)
    live = [b for b in lines if b.discountable]
    best: dict[int, Applied] = {}
    for rule in rules:
        if not in_window(rule, now):
            continue
        if rule.kind == "client" and not groups.intersection(rule.client_groups):
            continue
        hit = [b for b in live if _matches(rule, b)]
        if not hit or sum((b.quantity for b in hit), Decimal(0)) < rule.min_quantity:
            continue
        offs = _set_discounts(rule, hit) if rule.kind == "set" else \
            {b.no: _unit_off(rule, b, b.base) for b in hit}
        for no, off in offs.items():
            if off > 0 and (no not in best or off > best[no].amount):
                best[no] = Applied("rule", rule.name, off)
    return best


def price(lines: Sequence[Basis], *, rules: Sequence[DiscountRule] = (),
          now: datetime | None = None, guest_groups: Iterable[str] = (),
          manual: Sequence[Manual] = (), quote: Quote | None = None) -> Pricing:
    """Price the live lines of a check: every discount as whole kopecks per line."""
    applied: dict[int, list[Applied]] = {b.no: [] for b in lines}
    left = {b.no: b.base for b in lines}
    ok = {b.no: b.discountable for b in lines}

    def take(no: int, a: Applied) -> None:
        if a.amount > 0:
            applied[no].append(a)
            left[no] -= a.amount

    if now is not None and rules:
        for no, a in automatic(rules, lines, now, guest_groups).items():
            take(no, a)
    for m in manual:
        name = m.reason or "manual"
        if m.line is not None:
            if m.line not in left or not ok[m.line]:
                continue
            off = (round_kopecks(Decimal(left[m.line]) * m.percent / 100)
                   if m.percent is not None else m.amount or 0)
            take(m.line, Applied("manual", name, min(off, left[m.line])))
            continue
        _spread(m, name, [no for no in left if ok[no]], left, take)
    earn = spend = 0
    if quote is not None:
        earn, spend = quote.bonus_earn, quote.bonus_spend_max
        by_code: dict[str, list[int]] = {}
        for b in lines:
            if ok[b.no]:
                by_code.setdefault(b.code, []).append(b.no)
        given = 0
        for q in quote.lines:
            nos = by_code.get(q.code, [])
            want = min(q.discount, sum(left[no] for no in nos))
            for no, off in zip(nos, allocate(want, [left[no] for no in nos]), strict=True):
                take(no, Applied("loyalty", quote.guest_id, off))
            given += want
        rest = [no for no in left if ok[no]]
        extra = min(max(quote.discount - given, 0), sum(left[no] for no in rest))
        for no, off in zip(rest, allocate(extra, [left[no] for no in rest]), strict=True):
            take(no, Applied("loyalty", quote.guest_id, off))
    return Pricing({b.no: LinePrice(b.no, b.base, applied[b.no]) for b in lines},
                   bonus_earn=earn, bonus_spend_max=spend)


def _spread(m: Manual, name: str, nos: list[int], left: dict[int, int],
            take: Callable[[int, Applied], None]) -> None:
    whole = sum(left[no] for no in nos)
    if m.percent is not None:
        want = round_kopecks(Decimal(whole) * m.percent / 100)
    else:
        want = m.amount or 0
    want = min(want, whole)
    for no, off in zip(nos, allocate(want, [left[no] for no in nos]), strict=True):
        take(no, Applied("manual", name, off))


def percent_of(amount: int, whole: int) -> Decimal:
    """What share of ``whole`` kopecks ``amount`` is, in percent (for the rights' limits;
    not rounded, so 10.004 % is above a 10 % limit)."""
    if whole <= 0:
        return Decimal(100)
    return Decimal(amount) * 100 / whole
