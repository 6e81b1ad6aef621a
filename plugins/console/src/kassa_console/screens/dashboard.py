"""Dashboard: a row per site, the event rate, the outbox backlog."""

from __future__ import annotations

from collections.abc import Iterable

from kassa.api.records import SiteStatus
from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable, Label, Sparkline, Static

from kassa_console.i18n import moment, rubles
from kassa_console.screens.base import ConsoleScreen
from kassa_console.widgets.table import sync_rows

COLUMNS = ("site", "state", "since", "stations", "revenue", "checks", "alerts")


class DashboardScreen(ConsoleScreen):
    TITLE_KEY = "screen.dashboard"

    def compose_body(self) -> Iterable[Widget]:
        table: DataTable[object] = DataTable(id="sites", cursor_type="row", zebra_stripes=True)
        for key in COLUMNS:
            table.add_column(self.t(f"col.{key}"), key=key)
        yield table
        yield Label(self.t("dash.epm"), id="epm-title")
        yield Sparkline([], id="epm")
        yield Static("", id="outbox")

    async def load(self) -> None:
        sites = await self.ask(self.client.sites())
        if sites is not None:
            sync_rows(self.query_one("#sites", DataTable),
                      {s.code: self._row(s) for s in sites})
        minutes = await self.ask(self.client.events_per_minute(30))
        if minutes is not None:
            spark = self.query_one("#epm", Sparkline)
            spark.data = minutes
            self.query_one("#epm-title", Label).update(
                f"{self.t('dash.epm')}: {minutes[-1] if minutes else 0}")
        outbox = await self.ask(self.client.outbox())
        if outbox is not None:
            text = Text(self.t("dash.outbox", pending=outbox.pending, sent=outbox.sent,
                               dead=outbox.dead, merged=outbox.merged))
            if outbox.dead:
                text.stylize("bold red")
            self.query_one("#outbox", Static).update(text)

    def _row(self, s: SiteStatus) -> tuple[object, ...]:
        loc = self.console.locale
        if s.online is None:
            state = Text(self.t("state.unknown"), style="dim")
        elif s.online:
            state = Text("● " + self.t("state.online"), style="green")
        else:
            state = Text("● " + self.t("state.offline"), style="bold red")
        alerts = Text(str(s.alerts_today), style="bold yellow" if s.alerts_today else "")
        name = f"{s.code} {s.name}" if s.name and s.name != s.code else s.code
        return (name, state, moment(s.since), ", ".join(s.stations) or "—",
                Text(rubles(s.revenue_today, loc), justify="right"),
                Text(str(s.checks_today), justify="right"), alerts)
