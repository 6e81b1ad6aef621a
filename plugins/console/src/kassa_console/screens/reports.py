"""Reports: pick site, report and period; the table, totals, a chart, and CSV export."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from kassa.api.records import Report
from rich.text import Text
from textual import on
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Select, Static
from textual_plotext import PlotextPlot

from kassa_console.i18n import rubles
from kassa_console.report_csv import write_csv
from kassa_console.screens.base import ConsoleScreen, run_async

PERIODS = ("today", "yesterday", "shift", "week")
ALL_SITES = "*"


class ReportsScreen(ConsoleScreen):
    TITLE_KEY = "screen.reports"
    RELOAD = False  # a report is built on request
    # "g", not "b": b opens the Loyalty screen when the bonus plugin is installed
    BINDINGS = [("g", "build", "key.build"), ("s", "export", "key.export")]
    OWN_KEYS_FIRST = True

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self._loaded_choices = False

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="report-form"):
            yield Select[str]([(self.t("rep.site_all"), ALL_SITES)], value=ALL_SITES,
                              allow_blank=False, id="r-site")
            yield Select[str]([], prompt=self.t("rep.pick"), id="r-name")
            yield Select[str]([(self.t(f"period.{p}"), p) for p in PERIODS], value="today",
                              allow_blank=False, id="r-period")
            yield Input(placeholder=self.t("rep.range"), id="r-range")
            yield Button(self.t("key.build"), id="r-build", variant="primary")
        yield Static("", id="r-title")
        yield DataTable(id="r-table", zebra_stripes=True)
        yield PlotextPlot(id="r-chart")
        yield Static("", id="r-notes")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#r-chart").display = False

    def on_screen_resume(self) -> None:
        if not self._loaded_choices:
            self.reload()

    async def load(self) -> None:
        sites = await self.ask(self.client.sites())
        reports = await self.ask(self.client.reports())
        if sites is None or reports is None:
            return
        self._loaded_choices = True
        self.query_one("#r-site", Select).set_options(
            [(self.t("rep.site_all"), ALL_SITES)]
            + [(f"{s.code} {s.name}".strip(), s.code) for s in sites])
        names = self.query_one("#r-name", Select)
        names.set_options([(r.title or r.name, r.name) for r in reports])
        if reports:
            names.value = reports[0].name

    @on(Button.Pressed, "#r-build")
    @on(Input.Submitted, "#r-range")
    def action_build(self) -> None:
        name = self.query_one("#r-name", Select).value
        if not isinstance(name, str):
            self.notify(self.t("rep.pick"), severity="warning")
            return
        site = self.query_one("#r-site", Select).value
        period = self.query_one("#r-range", Input).value.strip() or \
            str(self.query_one("#r-period", Select).value)
        self.query_one("#r-title", Static).update(self.t("rep.building"))
        run_async(self, partial(self._build, name, None if site == ALL_SITES else str(site),
                                period),
                  group="build", exclusive=True, exit_on_error=False)

    async def _build(self, name: str, site: str | None, period: str) -> None:
        report = await self.ask(self.client.report(name, site=site, period=period))
        if report is None:
            self.query_one("#r-title", Static).update("")
            return
        self.report = report
        self._show(report)

    def _show(self, rep: Report) -> None:
        loc = self.console.locale
        self.query_one("#r-title", Static).update(Text(
            f"{rep.title} · {rep.site or self.t('rep.site_all')} · {rep.period.label or ''}",
            style="bold"))
        table = self.query_one("#r-table", DataTable)
        table.clear(columns=True)
        for col in rep.columns:
            table.add_column(col.title, key=col.key)
        for row in rep.rows:
            table.add_row(*(_cell(v, c.kind, loc) for v, c in zip(row, rep.columns,
                                                                    strict=False)))
        if rep.totals is not None:
            cells = [_cell(v, c.kind, loc) for v, c in zip(rep.totals, rep.columns,
                                                           strict=False)]
            if cells and not str(cells[0]).strip():
                cells[0] = Text(self.t("rep.total"))
            table.add_row(*(Text(str(c), style="bold") for c in cells))
        self._chart(rep)
        self.query_one("#r-notes", Static).update("\n".join(rep.notes))

    def _chart(self, rep: Report) -> None:
        plot = self.query_one("#r-chart", PlotextPlot)
        keys = [c.key for c in rep.columns]
        if rep.chart is None or rep.chart.x not in keys or rep.chart.y not in keys:
            plot.display = False
            return
        xi, yi = keys.index(rep.chart.x), keys.index(rep.chart.y)
        money = rep.columns[yi].kind == "money"
        labels = [str(r[xi]) for r in rep.rows]
        values = [(float(r[yi] or 0) / 100 if money else float(r[yi] or 0)) for r in rep.rows]
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if rep.chart.kind == "line":
            plt.plot(values, xside="lower")
            plt.xticks(list(range(1, len(labels) + 1)), labels)
        else:
            plt.bar(labels, values)
        plt.title(rep.columns[yi].title + (", ₽" if money else ""))
        plot.display = True
        plot.refresh()

    def action_export(self) -> None:
        if self.report is None:
            self.notify(self.t("rep.nothing"), severity="warning")
            return
        try:
            path = write_csv(self.report, Path.cwd())
        except OSError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(self.t("rep.exported", path=str(path)))


def _cell(value: Any, kind: str, locale: str) -> Any:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return Text(rubles(value, locale), justify="right")
    if kind in ("int", "qty", "pct"):
        return Text(f"{value}%" if kind == "pct" else str(value), justify="right")
    return str(value)
