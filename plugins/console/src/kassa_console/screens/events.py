"""Events: the live feed, newest first, coloured by severity, filtered like the hub filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import anyio
from kassa.api.records import EventRecord
from kassa.i18n import kind_title
from rich.text import Text
from textual import on
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from kassa_console.filters import EventFilter
from kassa_console.i18n import rubles
from kassa_console.screens.base import ConsoleScreen, run_async
from kassa_console.screens.event_detail import EventDetailScreen

SEVERITY_STYLE = {"info": "", "notice": "cyan", "warning": "yellow", "danger": "bold red"}
COLUMNS = ("seq", "time", "site", "kind", "employee", "amount", "text")
# every column but the details has a width; the details take what is left of the screen, so a
# row fits 80 columns (long titles and names end in "…"; the detail shows them whole)
WIDTHS = {"seq": 4, "time": 5, "site": 6, "kind": 18, "employee": 9, "amount": 10}
MIN_TEXT = 12
MAX_ROWS = 500  # the feed is a window, not the log: older events are one filter away
DEBOUNCE_S = 0.25


def _chosen(value: object) -> str | None:
    return value if isinstance(value, str) else None


def kinds() -> list[str]:
    """Every kind the installed plugins declare (the core hard-codes none of theirs)."""
    from kassa.kinds import installed

    return sorted(spec.name for spec in installed())


class EventsScreen(ConsoleScreen):
    TITLE_KEY = "screen.events"
    RELOAD = False  # the stream keeps it fresh; filters reload it
    AUTO_FOCUS = "#feed"
    BINDINGS = [("enter", "open", "key.open")]

    def __init__(self) -> None:
        super().__init__()
        self._when: dict[int, tuple[datetime, int]] = {}  # seq -> sort key (time, then seq)
        self._text_width = MIN_TEXT

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="filters"):
            yield Select[str]([], prompt=self.t("ev.filter.site"), id="f-site")
            yield Select[str]([(kind_title(k, self.console.locale), k) for k in kinds()],
                              prompt=self.t("ev.filter.kind"), id="f-kind")
            yield Input(placeholder=self.t("ev.filter.employee"), id="f-employee")
            yield Input(placeholder=self.t("ev.filter.text"), id="f-text")
        table: DataTable[object] = DataTable(id="feed", cursor_type="row")
        self._columns(table, MIN_TEXT)
        yield table
        yield Static("", id="feed-count")

    def _columns(self, table: DataTable[object], text_width: int) -> None:
        self._text_width = text_width
        for key in COLUMNS:
            label = "#" if key == "seq" else self.t(f"col.{key}")
            table.add_column(label, key=key, width=WIDTHS.get(key, text_width))

    def on_resize(self) -> None:
        """Give the details column the width left over (the rows stay as they are)."""
        pad = 2 * (len(COLUMNS))
        width = max(MIN_TEXT, self.size.width - sum(WIDTHS.values()) - pad - 2)  # scrollbar
        if width == self._text_width:
            return
        table = self.query_one("#feed", DataTable)
        rows = [(row.key, table.get_row(row.key)) for row in table.ordered_rows]
        cursor = table.cursor_row
        table.clear(columns=True)
        self._columns(table, width)
        for key, cells in rows:
            table.add_row(*cells, key=key.value)
        table.move_cursor(row=cursor)

    def on_mount(self) -> None:
        super().on_mount()
        self.console.event_signal.subscribe(self, self.on_live_event)
        run_async(self, self._load_sites, group="sites", exit_on_error=False)

    def on_screen_resume(self) -> None:
        if not self.query_one("#feed", DataTable).row_count:
            self.reload()

    async def _load_sites(self) -> None:
        sites = await self.ask(self.client.sites())
        if sites:
            self.query_one("#f-site", Select).set_options(
                [(f"{s.code} {s.name}".strip(), s.code) for s in sites])

    @property
    def filter(self) -> EventFilter:
        return EventFilter(
            site=_chosen(self.query_one("#f-site", Select).value),
            kind=_chosen(self.query_one("#f-kind", Select).value),
            employee=self.query_one("#f-employee", Input).value.strip() or None,
            text=self.query_one("#f-text", Input).value.strip() or None)

    @on(Input.Changed)
    @on(Select.Changed)
    def _filter_changed(self) -> None:
        run_async(self, self._reload_later, group="load", exclusive=True, exit_on_error=False)

    async def _reload_later(self) -> None:
        await anyio.sleep(DEBOUNCE_S)  # typing a word is one query, not one per letter
        await self.load()

    async def load(self) -> None:
        records = await self.ask(self.client.events(**self.filter.query(), limit=200))
        if records is None:
            return
        table = self.query_one("#feed", DataTable)
        table.clear()
        self._when.clear()
        for rec in records:
            self._add(table, rec)
        self._sort_and_count(table)

    def on_live_event(self, rec: EventRecord) -> None:
        if not self.is_mounted or not self.filter.matches(rec.event):
            return
        table = self.query_one("#feed", DataTable)
        if self._add(table, rec):
            self._sort_and_count(table)

    def _add(self, table: DataTable[object], rec: EventRecord) -> bool:
        e = rec.event
        if e.id in table.rows:
            return False
        self._when[rec.seq] = (e.occurred_at, rec.seq)
        style = SEVERITY_STYLE.get(str(e.severity), "")
        detail = " ".join(p for p in (e.reason, e.text, e.order and f"№{e.order}",
                                      ", ".join(ln.name for ln in e.lines)) if p)
        cells = (rec.seq, f"{e.occurred_at:%H:%M}", e.site, kind_title(e.kind, self.console.locale),
                 e.employee or "",
                 rubles(e.amount, self.console.locale), detail.replace("\n", " "))
        table.add_row(*(Text(str(c), style=style, no_wrap=True, overflow="ellipsis")
                        if not isinstance(c, int) else c for c in cells), key=e.id)
        return True

    def _sort_and_count(self, table: DataTable[object]) -> None:
        # by when it happened, newest first: a late event (a catch-up after an outage) takes
        # its place in time, not the top because its seq is the newest
        table.sort("seq", key=lambda seq: self._when[seq], reverse=True)
        while table.row_count > MAX_ROWS:
            last = table.coordinate_to_cell_key(Coordinate(table.row_count - 1, 0))
            seq = table.get_row(last.row_key)[0]
            if isinstance(seq, int):
                self._when.pop(seq, None)
            table.remove_row(last.row_key)
        self.query_one("#feed-count", Static).update(self.t("ev.count", count=table.row_count))

    @on(DataTable.RowSelected, "#feed")
    def _row_selected(self, message: DataTable.RowSelected) -> None:
        if message.row_key.value:
            self.app.push_screen(EventDetailScreen(message.row_key.value))

    def action_open(self) -> None:
        table = self.query_one("#feed", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
            if key:
                self.app.push_screen(EventDetailScreen(key))
