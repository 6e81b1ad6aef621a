"""Built-in plugin: reports every hub can answer from its own event log."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kassa import hookimpl
from kassa.i18n import kind_title
from kassa.model import Column, Period, Report, Severity


class EventSummary:
    """How many events of each kind, and how many of them were dangerous."""

    name = "event_summary"
    title = {"ru": "Сводка событий", "en": "Event summary"}
    parameters = ("site", "period")

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        events = await ctx.hub.events(site=site, since=period.start, until=period.end)
        count: Counter[str] = Counter(e.kind for e in events)
        danger: Counter[str] = Counter(e.kind for e in events if e.severity == Severity.DANGER)
        rows = [(kind_title(k, ctx.locale), n, danger[k]) for k, n in count.most_common()]
        ru = ctx.locale == "ru"
        return Report(
            name=self.name, title=self.title.get(ctx.locale, self.title["ru"]), site=site,
            period=period,
            columns=(Column("kind", "Событие" if ru else "Event"),
                     Column("count", "Всего" if ru else "Total", "int"),
                     Column("danger", "Опасных" if ru else "Dangerous", "int")),
            rows=rows,
            totals=("Итого" if ru else "Total", sum(count.values()), sum(danger.values()))
            if rows else None)


@hookimpl
def register_reports() -> list[Any]:
    return [EventSummary()]
