"""Reports over the checks this hub put to Lime: "Детальный по продажам" (each line, who
paid it and from which account) and a card's operation history.

Lime's own back office has both; its report API is not public [rkeeper.md §4, §8 q6], so
they are built from our outbox, which holds every check exactly as it was put (a check
still waiting for Lime is marked). The simulator computes the same report from what it was
given (``LimeModel.detailed_sales``); a test holds the two side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kassa.model import Column, Period, Report
from kassa.model.money import format_money

from kassa_lime.check import Check, Line
from kassa_lime.store import LimeStore

SALES_COLUMNS = (Column("sale", "Продажа"), Column("card", "Карта"), Column("time", "Время"),
                 Column("product", "Товар"), Column("uid", "UID карты"),
                 Column("base_price", "Базовая цена", "money"), Column("price", "Цена", "money"),
                 Column("units", "Кол-во", "qty"), Column("accounts", "Счёт: сумма"))
HISTORY_COLUMNS = (Column("type", "Тип"), Column("date", "Дата"), Column("account", "Счёт"),
                   Column("amount", "Сумма", "money"), Column("product", "Товар"),
                   Column("point", "Точка обслуживания"), Column("operator", "Оператор"),
                   Column("payer", "Плательщик"), Column("payer_card", "Карта плательщика"))


def _accounts(line: Line, locale: str) -> str:
    return "; ".join(f"{s.source.right_name}: {format_money(s.amount, locale)}"
                     for s in line.shares if s.source.right_id)


def _cards(lines: Sequence[Line]) -> list[str]:
    return list(dict.fromkeys(s.source.card_uid for ln in lines for s in ln.shares
                              if s.source.right_id))


def sales_rows(checks: Sequence[tuple[Any, Check]], tz: Any, locale: str = "ru"
               ) -> list[tuple[Any, ...]]:
    rows = []
    for row, chk in checks:
        sale = str(chk.number or f"#{row['id']}") + (" (возврат)" if chk.refund else "") \
            + ("" if row["status"] == "delivered" else " *")
        first = (_cards(chk.lines) or [""])[0]
        for ln in chk.lines:
            sign = -1 if chk.refund else 1
            rows.append((sale, first, f"{chk.time.astimezone(tz):%d.%m.%Y %H:%M}", ln.name,
                         ", ".join(_cards([ln])), ln.base_price, ln.price, sign * ln.units,
                         _accounts(ln, locale)))
    return rows


class DetailedSales:
    """``ReportDefinition`` "lime_detailed_sales" (period, site)."""

    name = "lime_detailed_sales"
    title = {"ru": "Lime: детальный по продажам", "en": "Lime: detailed sales"}
    parameters = ("site", "period")

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime  # (hub) -> the plugin's runtime, built on first use

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        rt = self.runtime(ctx.hub)
        title = self.title.get(getattr(ctx, "locale", "ru"), self.title["en"])
        rows: list[tuple[Any, ...]] = []
        notes: list[str] = []
        if rt is not None and (site is None or site == rt.site):
            checks = rt.store.checks(period.start, period.end)
            rows = sales_rows(checks, rt.tz, getattr(ctx, "locale", "ru"))
            if any(r["status"] != "delivered" for r, _ in checks):
                notes.append("* ещё не передан в Lime (будет передан, когда Lime ответит)")
        return Report(name=self.name, title=title, site=site, period=period,
                      columns=SALES_COLUMNS, rows=rows, notes=notes)


def card_history(store: LimeStore, uid: str, period: Period, *, tz: Any, cashdesk: str,
                 operator: str, title: str = "Lime: операции по карте") -> Report:
    """A card's operations (what the console's card lookup shows): one row per account a
    line was paid from, sales negative, returns positive, like Lime's history."""
    rows = []
    for _row, chk in store.checks(period.start, period.end):
        for ln in chk.lines:
            payers = [s for s in ln.shares if s.source.right_id]
            if not payers:
                continue
            payer = max(payers, key=lambda s: s.amount).source
            for s in payers:
                if s.source.card_uid.upper() != uid.upper():
                    continue
                rows.append(("Возврат" if chk.refund else "Продажа",
                             f"{chk.time.astimezone(tz):%d.%m.%Y %H:%M}", s.source.right_name,
                             s.amount if chk.refund else -s.amount, ln.name, cashdesk,
                             operator, payer.holder, payer.card_uid))
    return Report(name="lime_card_history", title=f"{title} {uid}", site=None, period=period,
                  columns=HISTORY_COLUMNS, rows=rows)
