"""Reports over the event log only: what the source recorded, never invented.

A check counts when a ``check_closed`` event exists and no ``check_deleted``/``check_annulled``
event exists for the same r_keeper check (same line_guid in the source key). A period whose
label is ``shift:N`` keeps only checks of common shift N.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from kassa.model import Chart, Column, Event, Period, Report

from kassa_rkeeper.kinds import KINDS
from kassa_rkeeper.kinds import Kind as K

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "system_balance": "Системный баланс", "dish_consumption": "Расход блюд",
        "sales_by_hour": "Продажи по часам", "discounts": "Скидки", "deletions": "Удаления",
        "item": "Показатель", "count": "Кол-во", "amount": "Сумма", "revenue": "Выручка",
        "checks": "Чеков", "guests": "Гостей", "average": "Средний чек", "dish": "Блюдо",
        "quantity": "Количество", "hour": "Час", "discount": "Скидка", "removed": "Отменено",
        "employee": "Сотрудник", "reason": "Причина", "manager": "Менеджер", "what": "Что",
        "total": "Итого", "pay": "Оплата", "no_reason": "без причины", "deleted_checks":
        "Удалено чеков",
    },
    "en": {
        "system_balance": "System balance", "dish_consumption": "Dish consumption",
        "sales_by_hour": "Sales by hour", "discounts": "Discounts", "deletions": "Deletions",
        "item": "Item", "count": "Count", "amount": "Amount", "revenue": "Revenue",
        "checks": "Checks", "guests": "Guests", "average": "Average check", "dish": "Dish",
        "quantity": "Quantity", "hour": "Hour", "discount": "Discount", "removed": "Removed",
        "employee": "Employee", "reason": "Reason", "manager": "Manager", "what": "What",
        "total": "Total", "pay": "Payment", "no_reason": "no reason", "deleted_checks":
        "Checks deleted",
    },
}

DELETION_KINDS = (K.SAVED_DISH_DELETED, K.UNSAVED_DISH_DELETED, K.CHECK_DELETED,
                  K.CHECK_ANNULLED, K.PRECHECK_CANCELLED, K.ORDER_QUIT_UNSAVED)
SPECS = {spec.name: spec for spec in KINDS}  # the declared titles, one text per kind


def _t(locale: str, key: str) -> str:
    return TEXTS.get(locale, TEXTS["ru"])[key]


def _check_id(e: Event) -> str:
    return e.source_key.split(":")[1] if e.source_key.startswith("check:") else e.source_key


def _shift(period: Period) -> str | None:
    return period.label[len("shift:"):] if period.label.startswith("shift:") else None


async def closed_checks(ctx: Any, site: str | None, period: Period) -> tuple[list[Event], int]:
    """Checks closed in the period and not deleted since; and how many were deleted."""
    events = await ctx.hub.events(site=site, kinds=[K.CHECK_CLOSED, K.CHECK_DELETED,
                                                    K.CHECK_ANNULLED],
                                  since=period.start, until=period.end)
    gone = {(e.site, _check_id(e)) for e in events if e.kind != K.CHECK_CLOSED}
    shift = _shift(period)
    closed = [e for e in events if e.kind == K.CHECK_CLOSED and (e.site, _check_id(e)) not in gone
              and (shift is None or str(e.data.get("shift")) == shift)]
    return closed, len(gone)


class _Base:
    name = ""
    parameters = ("site", "period")

    @property
    def title(self) -> dict[str, str]:
        return {loc: TEXTS[loc][self.name] for loc in TEXTS}

    def report(self, ctx: Any, site: str | None, period: Period, cols: list[tuple[str, str]],
               rows: list[tuple[Any, ...]], **kw: Any) -> Report:
        loc = ctx.locale
        return Report(name=self.name, title=_t(loc, self.name), site=site, period=period,
                      columns=tuple(Column(k, _t(loc, k), kind) for k, kind in cols),
                      rows=rows, **kw)


class SystemBalance(_Base):
    name = "system_balance"

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        checks, deleted = await closed_checks(ctx, site, period)
        loc = ctx.locale
        revenue = sum(e.amount or 0 for e in checks)
        guests = sum(int(e.data.get("guests") or 0) for e in checks)
        pays: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for e in checks:
            for p in e.data.get("payments", []):
                slot = pays[(p.get("currency") or "?", p.get("type") or "other")]
                slot[0] += 1
                slot[1] += int(p.get("amount") or 0)
        rows: list[tuple[Any, ...]] = [
            (_t(loc, "revenue"), len(checks), revenue),
            (_t(loc, "guests"), guests, None),
            (_t(loc, "average"), None, revenue // len(checks) if checks else 0),
            (_t(loc, "deleted_checks"), deleted, None),
        ]
        rows += [(f"{_t(loc, 'pay')}: {cur} ({kind})", n, amount)
                 for (cur, kind), (n, amount) in sorted(pays.items())]
        return self.report(ctx, site, period, [("item", "text"), ("count", "int"),
                                               ("amount", "money")], rows)


class DishConsumption(_Base):
    name = "dish_consumption"

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        checks, _ = await closed_checks(ctx, site, period)
        qty: Counter[str] = Counter()
        amount: Counter[str] = Counter()
        for e in checks:
            for line in e.lines:
                qty[line.name] += line.quantity  # type: ignore[assignment]
                amount[line.name] += line.amount
        rows = [(name, qty[name], amount[name]) for name, _ in amount.most_common()]
        total = ((_t(ctx.locale, "total"), sum(qty.values(), Decimal(0)), sum(amount.values()))
                 if rows else None)
        return self.report(ctx, site, period, [("dish", "text"), ("quantity", "qty"),
                                               ("amount", "money")], rows, totals=total)


class SalesByHour(_Base):
    name = "sales_by_hour"

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        checks, _ = await closed_checks(ctx, site, period)
        count: Counter[int] = Counter()
        revenue: Counter[int] = Counter()
        for e in checks:
            count[e.occurred_at.hour] += 1
            revenue[e.occurred_at.hour] += e.amount or 0
        rows = [(f"{h:02d}:00", count[h], revenue[h]) for h in sorted(count)]
        return self.report(ctx, site, period, [("hour", "text"), ("checks", "int"),
                                               ("revenue", "money")], rows,
                           chart=Chart(x="hour", y="revenue"),
                           totals=(_t(ctx.locale, "total"), sum(count.values()),
                                   sum(revenue.values())) if rows else None)


class Discounts(_Base):
    name = "discounts"

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        checks, _ = await closed_checks(ctx, site, period)
        removed_events = await ctx.hub.events(
            site=site, kinds=[K.DISCOUNT_REMOVED, K.LOYALTY_DISCOUNT_REMOVED],
            since=period.start, until=period.end)
        used: Counter[str] = Counter()
        amount: Counter[str] = Counter()
        for e in checks:
            for d in e.data.get("discounts", []):
                used[d.get("name") or "?"] += 1
                amount[d.get("name") or "?"] += int(d.get("amount") or 0)
        removed = Counter(e.data.get("discount") or "?" for e in removed_events)
        names = sorted(set(used) | set(removed), key=lambda n: -amount[n])
        rows = [(n, used[n], removed[n], amount[n]) for n in names]
        return self.report(ctx, site, period, [("discount", "text"), ("checks", "int"),
                                               ("removed", "int"), ("amount", "money")], rows)


class Deletions(_Base):
    name = "deletions"

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        loc = ctx.locale
        events = await ctx.hub.events(site=site, kinds=list(DELETION_KINDS),
                                      since=period.start, until=period.end)
        groups: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for e in events:
            key = (e.employee or "?", SPECS[e.kind].title_in(loc),
                   e.reason or _t(loc, "no_reason"), e.manager or "")
            groups[key][0] += 1
            groups[key][1] += e.amount or 0
        rows = [(*k, n, a) for k, (n, a) in sorted(groups.items())]
        return self.report(ctx, site, period, [
            ("employee", "text"), ("what", "text"), ("reason", "text"), ("manager", "text"),
            ("count", "int"), ("amount", "money")], rows,
            totals=(_t(loc, "total"), "", "", "", sum(n for n, _ in groups.values()),
                    sum(a for _, a in groups.values())) if rows else None)


def all_reports() -> list[Any]:
    return [SystemBalance(), DishConsumption(), SalesByHour(), Discounts(), Deletions()]
