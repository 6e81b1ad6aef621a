"""One event with every field and the messages it produced (GET /api/events/{id})."""

from __future__ import annotations

from typing import Any

from kassa.api.records import EventDetail
from kassa.i18n import kind_title
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from kassa_console import readable
from kassa_console.i18n import rubles
from kassa_console.screens.base import localize, run_async
from kassa_console.widgets.message_card import render_message

FIELDS = ("occurred_at", "severity", "station", "employee", "manager", "table", "order",
          "amount", "reason", "text")


class EventDetailScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "key.close"), ("q", "dismiss", "key.close")]

    def __init__(self, event_id: str) -> None:
        localize(self, getattr(self.app, "locale", "ru"))  # before the bindings are built
        super().__init__()
        self.event_id = event_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Label("…", id="detail-title")
            yield Static("", id="detail-fields")
            yield Label("", id="detail-messages-title")
            yield Static("", id="detail-messages")

    def on_mount(self) -> None:
        run_async(self, self._load, exit_on_error=False)

    async def _load(self) -> None:
        app: Any = self.app
        detail: EventDetail | None = await app.ask(app.client.event(self.event_id))
        if detail is None:
            self.dismiss()
            return
        loc, e = app.locale, detail.event
        sites = await app.ask(app.client.sites()) or []
        site = next((s.name for s in sites if s.code == e.site and s.name), e.site)
        self.query_one("#detail-title", Label).update(
            app.t("ev.detail.title", kind=kind_title(e.kind, loc), site=site, seq=detail.seq))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for name in FIELDS:
            value: Any = getattr(e, name)
            if value in (None, ""):
                continue
            if name == "amount":
                value = rubles(value, loc)
            elif name == "severity":
                value = app.t(f"sev.{value}")
            elif name == "occurred_at":
                value = value.strftime("%d.%m.%Y %H:%M:%S")
            label = app.t(f"ev.field.{name}") if name not in ("employee", "amount") \
                else app.t(f"col.{name}")
            grid.add_row(label, Text(str(value)))
        for line in e.lines:
            grid.add_row(app.t("ev.field.lines"),
                         f"{line.name} × {line.quantity.normalize():f}  "
                         f"{rubles(line.amount, loc)}")
        for label, value in readable.lines(e.data, loc):
            grid.add_row(Text(label, style="dim"), Text(value))
        self.query_one("#detail-fields", Static).update(grid)
        self.query_one("#detail-messages-title", Label).update(
            app.t("ev.detail.messages", n=len(detail.messages)))
        cards: Any = [render_message(m, loc, show_chat=True) for m in detail.messages]
        if not cards:
            cards = [Text(app.t("ev.detail.no_messages"), style="dim")]
        self.query_one("#detail-messages", Static).update(Group(*cards))
