"""The operator console's chain analysis screen (key ``a``) on the chain's centre: the
chain's sales of today, the last 7 or the last 30 days (keys ``t``, ``w``, ``m``) by store,
by local hour, by department and the top items, each as a table and a chart (bars of block
characters scaled to the largest value; the hours as a ``Sparkline``); from
``/api/pos/chain/v1/analysis?days=N`` (``chain/lag.py``, the reports' GROUP BYs) through the
console's admin client, refreshed every few seconds. Russian by default, English with the
console's ``en`` locale."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from kassa.model.money import format_money
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from kassa_pos.chain.console import ChainPanel, ChainScreen

PERIOD_KEYS = (("t", 1), ("w", 7), ("m", 30))  # key, days
BAR_WIDTH = 20  # cells of the longest bar (a store chart fits beside its table at 120)
LABEL_WIDTH = 20  # a chart's labels are cut to this
EIGHTHS = "▏▎▍▌▋▊▉"  # 1/8 .. 7/8 of a cell
BAR_STYLE = "green"
HOUR_CELLS = 2  # the hourly profile's cells per hour
SECTIONS: dict[str, tuple[str, ...]] = {  # a table's columns
    "stores": ("store", "lines", "amount", "discount", "returned"),
    "hours": ("hour", "checks", "amount"),
    "departments": ("department", "lines", "qty", "amount", "discount"),
    "items": ("item", "group", "qty", "amount"),
}
MONEY = frozenset({"amount", "discount", "returned"})
NUMBERS = frozenset({"lines", "checks", "qty"})

WORDS: dict[str, dict[str, str]] = {
    "ru": {"title": "Аналитика сети", "p1": "за сегодня", "pn": "за {n} дней",
           "key_t": "Сегодня", "key_w": "7 дней", "key_m": "30 дней",
           "summary": "Продажи сети {period} ({dates}): выручка {amount}, чеков {checks}, "
                      "строк {lines}, скидки {discount}, возвраты {returned}.",
           "stores": "По магазинам", "hours": "По часам", "departments": "По отделам",
           "items": "Лучшие товары", "store": "Магазин", "lines": "Строк",
           "amount": "Выручка", "discount": "Скидки", "returned": "Возвраты", "hour": "Час",
           "checks": "Чеков", "department": "Отдел", "qty": "Кол-во", "item": "Товар",
           "group": "Группа", "dept": "отдел {n}", "empty": "Продаж нет.",
           "peak": "Больше всего в {hour}: {amount}",
           "no_centre": "Этот хаб не центр сети ([pos.chain] centre = true).",
           "offline_hub": "Хаб недоступен.", "error": "Ошибка API сети: {error}"},
    "en": {"title": "Chain analysis", "p1": "today", "pn": "over the last {n} days",
           "key_t": "Today", "key_w": "7 days", "key_m": "30 days",
           "summary": "Chain sales {period} ({dates}): sales {amount}, {checks} checks, "
                      "{lines} lines, discounts {discount}, returns {returned}.",
           "stores": "By store", "hours": "By hour", "departments": "By department",
           "items": "Top items", "store": "Store", "lines": "Lines", "amount": "Sales",
           "discount": "Discounts", "returned": "Returns", "hour": "Hour",
           "checks": "Checks", "department": "Department", "qty": "Qty", "item": "Item",
           "group": "Group", "dept": "department {n}", "empty": "No sales.",
           "peak": "Most at {hour}: {amount}",
           "no_centre": "This hub is not the chain's centre ([pos.chain] centre = true).",
           "offline_hub": "The hub is unreachable.", "error": "Chain API error: {error}"},
}


def say(locale: str, key: str, **kw: Any) -> str:
    text = WORDS.get(locale, WORDS["ru"]).get(key, key)
    return text.format(**kw) if kw else text


def bar(value: int, top: int, width: int = BAR_WIDTH) -> str:
    """``value`` as block characters, ``width`` cells for ``top`` (the largest value), to an
    eighth of a cell; a positive value gets at least an eighth, zero or less nothing."""
    if top <= 0 or value <= 0:
        return ""
    full, part = divmod(max(1, round(value * width * 8 / top)), 8)
    return "█" * full + (EIGHTHS[part - 1] if part else "")


def chart(pairs: Sequence[tuple[str, int]], locale: str, width: int = BAR_WIDTH) -> Text:
    """A horizontal bar chart: a line per (label, kopecks), the bars scaled to the largest
    value, the money as ``format_money`` writes it."""
    if not pairs:
        return Text(say(locale, "empty"))
    top = max(v for _, v in pairs)
    labels = [label[:LABEL_WIDTH] for label, _ in pairs]
    money = [format_money(v, locale) for _, v in pairs]
    label_w, money_w = max(map(len, labels)), max(map(len, money))
    out = Text(no_wrap=True, overflow="crop")
    for n, (label, text, (_, value)) in enumerate(zip(labels, money, pairs, strict=True)):
        if n:
            out.append("\n")
        out.append(f"{label:<{label_w}} ")
        out.append(f"{bar(value, top, width):<{width}}", style=BAR_STYLE)
        out.append(f" {text:>{money_w}}")
    return out


def hourly(data: dict[str, Any]) -> list[float]:
    """Sales per local hour 0..23 (kopecks; an hour without sales is 0)."""
    by = {int(h["hour"]): int(h["amount"]) for h in data.get("hours") or ()}
    return [float(by.get(h, 0)) for h in range(24)]


def peak(data: dict[str, Any], locale: str) -> str:
    """The hour with the most sales and its sales (the profile's top), or no sales."""
    hours = [h for h in data.get("hours") or () if int(h["amount"]) > 0]
    if not hours:
        return say(locale, "empty")
    top = max(hours, key=lambda h: (int(h["amount"]), -int(h["hour"])))
    return say(locale, "peak", hour=f"{int(top['hour']):02d}:00",
               amount=format_money(int(top["amount"]), locale))


def hour_axis() -> str:
    """The hours under the profile: 0, 6, 12, 18 at their cells, ``HOUR_CELLS`` per hour."""
    cells = [" "] * (24 * HOUR_CELLS)
    for h in (0, 6, 12, 18):
        for i, ch in enumerate(str(h)):
            cells[h * HOUR_CELLS + i] = ch
    return "".join(cells).rstrip()


def store_label(s: dict[str, Any]) -> str:
    name = s.get("name") or s["store"]
    return s["store"] if name == s["store"] else f"{s['store']} {name}"


def charts(data: dict[str, Any], locale: str) -> dict[str, Text]:
    """The bar charts by store, department and item (by sales)."""
    return {
        "stores": chart([(store_label(s), int(s["amount"])) for s in data["stores"]], locale),
        "departments": chart([(say(locale, "dept", n=d["department"]), int(d["amount"]))
                              for d in data["departments"]], locale),
        "items": chart([(i["item"], int(i["amount"])) for i in data["items"]], locale)}


def _cell(key: str, row: dict[str, Any], locale: str) -> Text:
    value = row.get(key)
    if key in MONEY:
        return Text(format_money(int(value or 0), locale), justify="right")
    if key == "qty":
        text = str(value or 0)
        return Text(text if locale == "en" else text.replace(".", ","), justify="right")
    if key in NUMBERS:
        return Text(str(value or 0), justify="right")
    if key == "hour":
        return Text(f"{int(value or 0):02d}:00")
    if key == "store":
        return Text(store_label(row))
    return Text(str(value if value is not None else ""))  # Text: no markup from the data


def table_rows(data: dict[str, Any], section: str, locale: str) -> list[tuple[Text, ...]]:
    return [tuple(_cell(c, row, locale) for c in SECTIONS[section])
            for row in data.get(section) or ()]


def _dates(data: dict[str, Any]) -> str:
    first, last = (date.fromisoformat(data[k]).strftime("%d.%m") for k in ("first", "last"))
    return last if first == last else f"{first}–{last}"


def summary(data: dict[str, Any], locale: str) -> str:
    t = data["totals"]
    days = int(data["days"])
    period = say(locale, "p1") if days == 1 else say(locale, "pn", n=days)
    return say(locale, "summary", period=period, dates=_dates(data),
               amount=format_money(t["amount"], locale), checks=t["checks"], lines=t["lines"],
               discount=format_money(t["discount"], locale),
               returned=format_money(t["returned"], locale))


def period_bindings(locale: str) -> list[BindingType]:
    return [Binding(key, f"period({days})", say(locale, f"key_{key}"))
            for key, days in PERIOD_KEYS]


class AnalysisPanel(ChainPanel):
    """Key ``a``: the chain's sales by store, hour, department and item, with charts."""

    name = "pos-analysis"
    key = "a"
    words = WORDS

    @property
    def screen_cls(self) -> type[ChainScreen]:
        return AnalysisScreenEn if self.locale == "en" else AnalysisScreen


class AnalysisScreen(ChainScreen):
    """``days`` is the period shown first (today and the days before it)."""

    DEFAULT_CSS = """
    .an-title { text-style: bold; margin: 1 0 0 0; }
    .an-row { height: auto; }
    .an-row > DataTable { width: auto; max-width: 75; height: auto; max-height: 26; }
    .an-chart { width: 1fr; height: auto; padding: 0 0 0 2; }
    #an-hours-chart { width: 48; height: 4; }
    AnalysisScreen.-narrow .an-row { layout: vertical; }
    """
    # under 120 columns a chart goes under its table (beside it, it would be cut)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = period_bindings("ru")  # the footer's words; AnalysisScreenEn has them in en
    path = "/analysis"
    head = "an-summary"
    words = WORDS

    def __init__(self, client: Any, refresh_s: float = 10.0, days: int = 7) -> None:
        super().__init__(client, refresh_s)
        self.days = days

    def params(self) -> dict[str, Any]:
        return {"days": self.days}

    def action_period(self, days: int) -> None:
        self.days = days
        self.reload()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="an-summary")
        with VerticalScroll(id="an-body"):
            for section, cols in SECTIONS.items():
                yield Static(self.said(section), classes="an-title")
                with Horizontal(classes="an-row"):
                    table: DataTable[Text] = DataTable(id=f"an-{section}", cursor_type="row")
                    for c in cols:
                        table.add_column(self.said(c), key=c)
                    yield table
                    if section == "hours":
                        with Vertical(classes="an-chart"):
                            yield Sparkline([], summary_function=max, id="an-hours-chart")
                            yield Static(hour_axis(), id="an-hours-axis")
                            yield Static("", id="an-hours-peak")
                    else:
                        yield Static("", id=f"an-{section}-chart", classes="an-chart")
        yield Footer()

    def show(self, data: dict[str, Any]) -> None:
        loc = self.locale
        self.query_one("#an-summary", Static).update(summary(data, loc))
        for section in SECTIONS:
            table = self.query_one(f"#an-{section}", DataTable)
            table.clear()
            for n, row in enumerate(table_rows(data, section, loc)):
                table.add_row(*row, key=str(n))
        for section, text in charts(data, loc).items():
            self.query_one(f"#an-{section}-chart", Static).update(text)
        self.query_one("#an-hours-chart", Sparkline).data = hourly(data)
        self.query_one("#an-hours-peak", Static).update(peak(data, loc))


class AnalysisScreenEn(AnalysisScreen):
    BINDINGS = period_bindings("en")
