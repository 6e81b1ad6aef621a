"""Loyalty rules: what an order gets. Pure functions of (order, guest, settings, time).

Units: money in kopecks, points in hundredths (100 = one point = one rouble of payment).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_DOWN, Decimal

from kassa.model import Guest, Order, OrderLine, Quote, QuoteLine

from kassa_bonus.settings import BonusSettings, Level, Window


def level_for(earned: int, levels: list[Level]) -> Level:
    """The highest level whose threshold lifetime-earned points reach (never the balance)."""
    reached = [lv for lv in levels if earned >= lv.threshold]
    return max(reached, key=lambda lv: lv.threshold) if reached else Level("base", 0, Decimal(0))


def _pct(amount: int, pct: Decimal) -> int:
    return int((Decimal(amount) * pct / 100).to_integral_value(rounding=ROUND_DOWN))


def group_discount_pct(guest: Guest, settings: BonusSettings) -> Decimal:
    return max((settings.group_discounts.get(g, Decimal(0)) for g in guest.groups),
               default=Decimal(0))


def multiplier(line: OrderLine, settings: BonusSettings) -> Decimal:
    m = settings.multipliers
    if line.code in m:
        return m[line.code]
    if line.category and f"cat:{line.category}" in m:
        return m[f"cat:{line.category}"]
    return Decimal(1)


def _parse(hhmm: str) -> time:
    h, m = (int(x) for x in hhmm.split(":"))
    return time.max if h == 24 else time(h, m)


def window_multiplier(local: datetime, windows: list[Window]) -> Decimal:
    best = Decimal(1)
    for w in windows:
        if local.isoweekday() in w.weekdays and _parse(w.start) <= local.time() < _parse(w.end):
            best = max(best, w.multiplier)
    return best


def quote(order: Order, guest: Guest, settings: BonusSettings, *, earned: int, available: int,
          local_now: datetime) -> Quote:
    """Discount by group, accrual by level (x dish/category multipliers x time windows, plus
    spend thresholds), and the most points that may pay (capped by % of check and balance;
    excluded dishes neither earn nor may be paid with points)."""
    level = level_for(earned, settings.levels)
    disc_pct = group_discount_pct(guest, settings)
    win = window_multiplier(local_now, settings.windows)
    lines, notes = [], []
    payable = 0
    for line in order.lines:
        if not line.saved or line.void_reason:
            continue
        excluded = line.code in settings.excluded
        discount = 0 if excluded else _pct(line.amount, disc_pct)
        net = line.amount - discount
        earn = 0 if excluded else _pct(net, level.accrual_pct * multiplier(line, settings) * win)
        spend_max = 0 if excluded else _pct(net, Decimal(settings.max_pay_pct))
        payable += spend_max
        lines.append(QuoteLine(code=line.code, discount=discount, bonus_earn=earn,
                               bonus_spend_max=spend_max))
    total = order.total or sum(line.amount for line in order.lines)
    extra = max((t.bonus for t in settings.thresholds if total >= t.min_total), default=0)
    if extra:
        notes.append(f"threshold:{extra}")
    if win != 1:
        notes.append(f"window:x{win}")
    notes.append(f"level:{level.name}")
    return Quote(guest_id=guest.id, discount=sum(q.discount for q in lines),
                 bonus_earn=sum(q.bonus_earn for q in lines) + extra,
                 bonus_spend_max=max(0, min(payable, available)), lines=lines, notes=notes)


def earn_after_spend(q: Quote, spend: int, order_total: int) -> int:
    """Points are earned on what the guest paid with money: scale the quote down by the share
    paid with points."""
    base = order_total - q.discount
    if base <= 0 or spend <= 0:
        return q.bonus_earn
    return max(0, q.bonus_earn * (base - spend) // base)


def birthday_due(birthday: date | None, today: date, before: int, after: int) -> bool:
    """Whether ``today`` falls within the birthday window of this year (Feb 29 -> Feb 28)."""
    if birthday is None:
        return False
    try:
        this_year = birthday.replace(year=today.year)
    except ValueError:
        this_year = date(today.year, 2, 28)
    return -after <= (this_year - today).days <= before
