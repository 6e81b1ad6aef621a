"""The chain's sales reports (``register_reports``): chats' ``/report``, the console and the
XLSX export reach them as any ReportDefinition. Each runs one GROUP BY in the centre's
PostgreSQL (``hub.engine``) over ``chain/analysis.py``'s tables; money columns are kopecks
that the renderers write with ``format_money``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kassa.model import Chart, Column, Period, Report

from kassa_pos.chain import analysis as an

_RU = {"store": "Магазин", "lines": "Строк", "amount": "Выручка", "discount": "Скидки",
       "returned": "Возвраты", "department": "Отдел", "qty": "Кол-во", "hour": "Час",
       "checks": "Чеков", "cashier": "Кассир", "item": "Товар", "group": "Группа",
       "guests": "Гостей", "rule": "Правило скидки", "visits": "Визитов",
       "spend": "Покупки", "recency": "Давность", "frequency": "Частота"}
_EN = {"store": "Store", "lines": "Lines", "amount": "Sales", "discount": "Discounts",
       "returned": "Returns", "department": "Department", "qty": "Qty", "hour": "Hour",
       "checks": "Checks", "cashier": "Cashier", "item": "Item", "group": "Group",
       "guests": "Guests", "rule": "Discount rule", "visits": "Visits",
       "spend": "Spend", "recency": "Recency", "frequency": "Frequency"}
_NONE = {"ru": "без группы", "en": "no group"}
_CENTRE_ONLY = {"ru": "Сетевые отчёты считаются в центре сети (PostgreSQL), не в магазине.",
                "en": "Chain reports are computed at the chain's centre (PostgreSQL), not in a "
                      "store."}
_RECENCY = {"ru": ("≤ 7 дн.", "≤ 30 дн.", "≤ 90 дн.", "давно"),
            "en": ("≤ 7 days", "≤ 30 days", "≤ 90 days", "older")}
_FREQUENCY = {"ru": ("1", "2–3", "4–10", "> 10"), "en": ("1", "2–3", "4–10", "> 10")}


def _n(v: Any) -> int:
    return int(v or 0)


class _Chain:
    name = ""
    title: dict[str, str] = {}
    parameters: tuple[str, ...] = ("site", "period")
    cols: tuple[tuple[str, str], ...] = ()  # (key, kind); titles from _RU / _EN
    chart: Chart | None = None
    money_from = 0  # totals: sum the columns from this index on (0: no totals)

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        locale = getattr(ctx, "locale", "ru")
        names = _EN if locale == "en" else _RU
        if ctx.hub.engine.dialect.name != "postgresql":  # a store's SQLite: nothing here
            return Report(name=self.name, title=self.title.get(locale, self.title["ru"]),
                          site=site, period=period,
                          columns=[Column(k, names[k], kind) for k, kind in self.cols],
                          notes=[_CENTRE_ONLY["en" if locale == "en" else "ru"]])
        async with ctx.hub.engine.connect() as conn:
            raw = (await conn.execute(self.query(site, period))).all()
        rows = [self.row(r, locale) for r in raw]
        totals = None
        if self.money_from:
            totals = tuple("" if i < self.money_from else sum(r[i] for r in rows)
                           for i in range(len(self.cols)))
        return Report(name=self.name, title=self.title.get(locale, self.title["ru"]),
                      site=site, period=period,
                      columns=[Column(k, names[k], kind) for k, kind in self.cols],
                      rows=rows, totals=totals, chart=self.chart)

    def query(self, site: str | None, period: Period) -> Any:
        raise NotImplementedError

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        return tuple(v if i == 0 else _n(v) for i, v in enumerate(r))


class ByStore(_Chain):
    name = "pos_chain_sales_store"
    title = {"ru": "Сеть: продажи по магазинам", "en": "Chain: sales by store"}
    cols = (("store", "text"), ("lines", "int"), ("amount", "money"), ("discount", "money"),
            ("returned", "money"))
    chart = Chart("store", "amount")
    money_from = 1

    def query(self, site: str | None, period: Period) -> Any:
        return an.by_store(period.start, period.end, site)


class ByDepartment(_Chain):
    name = "pos_chain_sales_department"
    title = {"ru": "Сеть: продажи по отделам", "en": "Chain: sales by department"}
    cols = (("department", "int"), ("lines", "int"), ("qty", "qty"), ("amount", "money"),
            ("discount", "money"))
    money_from = 1

    def query(self, site: str | None, period: Period) -> Any:
        return an.by_department(period.start, period.end, site)

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        return (int(r[0]), _n(r[1]), r[2], _n(r[3]), _n(r[4]))


class ByHour(_Chain):
    name = "pos_chain_sales_hour"
    title = {"ru": "Сеть: продажи по часам", "en": "Chain: sales by hour"}
    cols = (("hour", "int"), ("checks", "int"), ("amount", "money"))
    chart = Chart("hour", "amount")
    money_from = 1

    def query(self, site: str | None, period: Period) -> Any:
        return an.by_hour(period.start, period.end, site)

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        return (int(r[0]), _n(r[1]), _n(r[2]))


class ByCashier(_Chain):
    name = "pos_chain_sales_cashier"
    title = {"ru": "Сеть: продажи по кассирам", "en": "Chain: sales by cashier"}
    cols = (("store", "text"), ("cashier", "text"), ("checks", "int"), ("amount", "money"),
            ("returned", "money"))
    money_from = 2

    def query(self, site: str | None, period: Period) -> Any:
        return an.by_cashier(period.start, period.end, site)

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        return (r[0], r[1] or "—", _n(r[2]), _n(r[3]), _n(r[4]))


class TopItems(_Chain):
    name = "pos_chain_top_items"
    title = {"ru": "Сеть: лучшие товары (20)", "en": "Chain: top items (20)"}
    cols = (("item", "text"), ("group", "text"), ("qty", "qty"), ("amount", "money"))

    def query(self, site: str | None, period: Period) -> Any:
        return an.top_items(period.start, period.end, site)

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        return (r[0], r[1] or _NONE[locale if locale == "en" else "ru"], r[2], _n(r[3]))


class ByGroup(_Chain):
    name = "pos_chain_sales_group"
    title = {"ru": "Сеть: товарные группы", "en": "Chain: item groups"}
    cols = (("group", "text"), ("guests", "int"), ("qty", "qty"), ("amount", "money"))

    def query(self, site: str | None, period: Period) -> Any:
        return an.by_group(period.start, period.end, site)

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        return (r[0] or _NONE[locale if locale == "en" else "ru"], _n(r[1]), r[2], _n(r[3]))


class Discounts(_Chain):
    name = "pos_chain_discounts"
    title = {"ru": "Сеть: скидки и акции", "en": "Chain: discounts and promotions"}
    cols = (("rule", "text"), ("lines", "int"), ("checks", "int"), ("discount", "money"),
            ("amount", "money"))
    money_from = 1

    def query(self, site: str | None, period: Period) -> Any:
        return an.discounts(period.start, period.end, site)


class Clients(_Chain):
    name = "pos_chain_clients"
    title = {"ru": "Сеть: активность гостей (давность и частота)",
             "en": "Chain: guest activity (recency and frequency)"}
    cols = (("recency", "text"), ("frequency", "text"), ("guests", "int"), ("visits", "int"),
            ("spend", "money"))
    money_from = 2

    def query(self, site: str | None, period: Period) -> Any:
        return an.clients(period.start, period.end, site)

    def row(self, r: Any, locale: str) -> tuple[Any, ...]:
        lang = "en" if locale == "en" else "ru"
        return (_RECENCY[lang][int(r[0])], _FREQUENCY[lang][int(r[1])], _n(r[2]), _n(r[3]),
                _n(r[4]))


def definitions() -> Sequence[Any]:
    return [ByStore(), ByDepartment(), ByHour(), ByCashier(), TopItems(), ByGroup(),
            Discounts(), Clients()]
