"""Log: the hub's own log, redacted by the hub, coloured by level."""

from __future__ import annotations

from collections.abc import Iterable

from kassa.api.records import LogRecord
from rich.text import Text
from textual.widget import Widget
from textual.widgets import RichLog

from kassa_console.screens.base import ConsoleScreen

LEVEL_STYLE = {"DEBUG": "dim", "INFO": "", "WARNING": "yellow", "ERROR": "bold red",
               "CRITICAL": "bold white on red"}


class LogScreen(ConsoleScreen):
    TITLE_KEY = "screen.log"

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[LogRecord] = []

    def compose_body(self) -> Iterable[Widget]:
        yield RichLog(id="log", max_lines=2000, wrap=True)

    async def load(self) -> None:
        records = await self.ask(self.client.log(200))
        if records is None:
            return
        records = sorted(records, key=lambda r: r.time)  # the order the hub wrote them
        if records == self._shown:
            return
        view = self.query_one("#log", RichLog)
        # the hub returns a window; append only what follows what is already shown
        new = records
        if self._shown and self._shown[-1] in records:
            new = records[records.index(self._shown[-1]) + 1:]
        else:
            view.clear()
        for rec in new:
            line = Text(f"{rec.time[11:19] if len(rec.time) > 18 else rec.time} ", style="dim")
            line.append(f"{rec.level:<7} ", style=LEVEL_STYLE.get(rec.level.upper(), ""))
            line.append(f"{rec.logger}: ", style="cyan")
            line.append(rec.message)
            view.write(line)
        self._shown = records
