"""Plugins: what is installed, its version and hooks, and the health of every component."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable

from kassa_console import readable
from kassa_console.screens.base import ConsoleScreen
from kassa_console.widgets.table import sync_rows


class PluginsScreen(ConsoleScreen):
    TITLE_KEY = "screen.plugins"

    def compose_body(self) -> Iterable[Widget]:
        plugins: DataTable[object] = DataTable(id="plugins", cursor_type="row")
        for key in ("plugin", "version", "hooks"):
            plugins.add_column(self.t(f"col.{key}"), key=key)
        yield plugins
        components: DataTable[object] = DataTable(id="components", cursor_type="row")
        for key in ("type", "component", "site", "health"):
            components.add_column(self.t(f"col.{key}"), key=key)
        yield components

    async def load(self) -> None:
        info = await self.ask(self.client.plugins())
        if info is None:
            return
        sync_rows(self.query_one("#plugins", DataTable), {
            p.name: (p.name, p.version or "—", ", ".join(p.hooks)) for p in info.plugins})
        table = self.query_one("#components", DataTable)
        cursor = table.cursor_row
        table.clear()  # a row's height follows its facts: rebuilt, not patched
        for c in info.components:
            state = Text("● " + self.t("state.online"), style="green") \
                if readable.is_online(c.health) else \
                Text("● " + self.t("state.offline"), style="bold red")
            for label, value in readable.lines(c.health, self.console.locale):
                state.append(f"\n{label}: {value}", style="dim")
            kind = self.t(f"comp.{c.kind}")
            table.add_row(c.kind if kind.startswith("comp.") else kind, c.name, c.site or "—",
                          state, height=None,
                          key=f"{c.kind}/{c.name}/{c.site or ''}")
        table.move_cursor(row=cursor)
