"""The operator console's back-office screen (key ``k``) on the chain's centre: the returns
that gave back more than was sold (``pos_return_conflict``: a manager decides each, newest
first) and each store's stock as the centre computes it; from
``/api/pos/chain/v1/backoffice`` (``chain/lag.py``) through the console's admin client,
refreshed every few seconds. Russian by default, English with the console's ``en`` locale."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from kassa_pos.chain.console import ChainPanel, ChainScreen

WORDS: dict[str, dict[str, str]] = {
    "ru": {"title": "Склад и возвраты сети", "store": "Магазин", "return": "Возврат",
           "sale": "Чек продажи", "at": "Когда", "item": "Товар", "qty": "Остаток",
           "summary": "Возвратов сверх проданного: {conflicts}. Остатки: {items} поз. в "
                      "{stores} маг.",
           "conflicts": "Возвраты к разбору", "stock": "Остатки",
           "no_centre": "Этот хаб не центр сети ([pos.chain] centre = true).",
           "offline_hub": "Хаб недоступен.", "error": "Ошибка API сети: {error}"},
    "en": {"title": "Chain stock and returns", "store": "Store", "return": "Return",
           "sale": "Sale", "at": "When", "item": "Item", "qty": "Level",
           "summary": "Returns beyond what was sold: {conflicts}. Stock: {items} items in "
                      "{stores} stores.",
           "conflicts": "Returns to review", "stock": "Stock",
           "no_centre": "This hub is not the chain's centre ([pos.chain] centre = true).",
           "offline_hub": "The hub is unreachable.", "error": "Chain API error: {error}"},
}


def say(locale: str, key: str, **kw: Any) -> str:
    text = WORDS.get(locale, WORDS["ru"]).get(key, key)
    return text.format(**kw) if kw else text


def conflict_rows(data: dict[str, Any]) -> list[tuple[str, ...]]:
    return [(c["store"], c["key"], c["sale"],
             datetime.fromisoformat(c["at"]).strftime("%d.%m %H:%M") if c.get("at") else "")
            for c in data.get("conflicts") or ()]


def stock_rows(data: dict[str, Any], locale: str) -> list[tuple[str, ...]]:
    """A line per store and item; the quantity as people write it (``3,5``)."""
    comma = locale != "en"
    return [(store, item, qty.replace(".", ",") if comma else qty)
            for store, items in sorted((data.get("stock") or {}).items())
            for item, qty in sorted(items.items())]


def summary(data: dict[str, Any], locale: str) -> str:
    stock = data.get("stock") or {}
    return say(locale, "summary", conflicts=len(data.get("conflicts") or ()),
               items=sum(len(v) for v in stock.values()), stores=len(stock))


class BackOfficePanel(ChainPanel):
    """Key ``k``: returns beyond what was sold, and each store's stock."""

    name = "pos-backoffice"
    key = "k"
    words = WORDS

    @property
    def screen_cls(self) -> type[ChainScreen]:
        return BackOfficeScreen


class BackOfficeScreen(ChainScreen):
    path = "/backoffice"
    head = "bo-summary"
    words = WORDS

    def __init__(self, client: Any, refresh_s: float = 5.0) -> None:
        super().__init__(client, refresh_s)

    def compose(self) -> ComposeResult:
        loc = self.locale
        yield Header()
        yield Static("", id="bo-summary")
        yield Static(say(loc, "conflicts"))
        conflicts: DataTable[str] = DataTable(id="bo-conflicts", cursor_type="row")
        for c in ("store", "return", "sale", "at"):
            conflicts.add_column(say(loc, c), key=c)
        yield conflicts
        yield Static(say(loc, "stock"))
        stock: DataTable[str] = DataTable(id="bo-stock", cursor_type="row")
        for c in ("store", "item", "qty"):
            stock.add_column(say(loc, c), key=c)
        yield stock
        yield Footer()

    def show(self, data: dict[str, Any]) -> None:
        self.query_one("#bo-summary", Static).update(summary(data, self.locale))
        for table_id, rows in (("#bo-conflicts", conflict_rows(data)),
                               ("#bo-stock", stock_rows(data, self.locale))):
            table = self.query_one(table_id, DataTable)
            table.clear()
            for n, row in enumerate(rows):
                table.add_row(*row, key=str(n))
