"""The operator console's store stock screen (key ``n``) on a store's hub: the stock levels
(filtered by item code), a form that posts a stock document and an action that prints price
tags, all through the store hub's stock API (``stock/api.py``) and the console's admin
client. A document keeps its id while the form is open, so posting again after a lost answer
is the same document (the book answers it, never moves it twice); a posted one clears the
form. Russian by default, English with the console's ``en`` locale."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Select,
    Static,
    TextArea,
)
from textual.worker import Worker

from kassa_pos.chain.console import ChainPanel, ChainScreen
from kassa_pos.stock.api import PREFIX
from kassa_pos.stock.book import NEEDS_COUNTERPART, DocKind

LABELS_TIMEOUT_S = 120.0  # a few thousand tags take a while to draw on the hub
SHOWN_CODES = 20  # a result names at most this many printed items
NEEDS_REF = (DocKind.TRANSFER_OUT, DocKind.TRANSFER_IN)

WORDS: dict[str, dict[str, str]] = {
    "ru": {"title": "Склад магазина", "levels": "Остатки", "item": "Товар", "qty": "Остаток",
           "summary": "Остатки магазина: {n} поз.{shown}", "shown": " Показано: {n}.",
           "filter": "фильтр по коду товара", "document": "Документ",
           "receipt": "Приход от поставщика", "expense": "Расход по накладной",
           "transfer_out": "Перемещение: отправка", "transfer_in": "Перемещение: приём",
           "writeoff": "Списание", "count": "Инвентаризация",
           "cp_receipt": "поставщик", "cp_expense": "покупатель",
           "cp_transfer_out": "магазин-получатель", "cp_transfer_in": "магазин-отправитель",
           "reason": "причина списания", "ref": "номер отправки",
           "lines": "строки: «код количество [цена]», по одной в строке",
           "line": "код количество [цена] — Enter добавит строку", "post": "Провести",
           "tags": "Ценники", "codes": "коды через запятую (пусто: цены, изменённые с "
                                      "последней печати)",
           "file": "файл PDF (пусто: папка данных хаба)", "print": "Напечатать ценники",
           "row": "Строка {n}: «{text}» — нужно «код количество [цена]».",
           "price": "Строка {n}: цена «{value}» — не сумма в рублях (например 89,90).",
           "no_rows": "В документе нет строк: «код количество [цена]».",
           "posted": "Документ проведён: {moves}.",
           "replay": "Документ уже был проведён, ничего не изменилось: {moves}.",
           "post_offline": "Хаб недоступен, документ мог не дойти: проведите ещё раз — номер "
                           "тот же, дважды он не проведётся.",
           "printing": "Печатаю ценники…",
           "printed": "Напечатано ценников: {n} на {pages} стр., файл {file}: {items}.",
           "nothing": "Нечего печатать: ни один ценник не нужен.",
           "refused": " Не напечатаны: {reasons}.",
           "tags_offline": "Хаб недоступен: ценники не напечатаны.",
           "no_store": "Этот хаб не магазин: склад и ценники ведёт хаб магазина ([pos] "
                       "store), не центр сети.",
           "offline_hub": "Хаб недоступен.", "error": "Ошибка API склада: {error}"},
    "en": {"title": "Store stock", "levels": "Stock", "item": "Item", "qty": "Level",
           "summary": "Store stock: {n} items.{shown}", "shown": " Shown: {n}.",
           "filter": "filter by item code", "document": "Document",
           "receipt": "Goods receipt", "expense": "Expense invoice",
           "transfer_out": "Transfer out", "transfer_in": "Transfer in",
           "writeoff": "Write-off", "count": "Inventory count",
           "cp_receipt": "supplier", "cp_expense": "buyer",
           "cp_transfer_out": "receiving store", "cp_transfer_in": "sending store",
           "reason": "write-off reason", "ref": "transfer id",
           "lines": "lines: 'code quantity [price]', one a line",
           "line": "code quantity [price] — Enter adds the line", "post": "Post",
           "tags": "Price tags", "codes": "codes, comma-separated (empty: prices changed "
                                          "since the last printed batch)",
           "file": "PDF file (empty: the hub's data folder)", "print": "Print price tags",
           "row": "Line {n}: '{text}' is not 'code quantity [price]'.",
           "price": "Line {n}: price '{value}' is not an amount in roubles (e.g. 89.90).",
           "no_rows": "The document has no lines: 'code quantity [price]'.",
           "posted": "Document posted: {moves}.",
           "replay": "The document was posted before, nothing changed: {moves}.",
           "post_offline": "The hub is unreachable and the document may not have arrived: "
                           "post again, it keeps its id and never posts twice.",
           "printing": "Printing price tags…",
           "printed": "Printed {n} price tags on {pages} page(s), file {file}: {items}.",
           "nothing": "Nothing to print: no price tag is due.",
           "refused": " Not printed: {reasons}.",
           "tags_offline": "The hub is unreachable: no price tags printed.",
           "no_store": "This hub is not a store: a store's hub ([pos] store) keeps its stock "
                       "and price tags, not the chain's centre.",
           "offline_hub": "The hub is unreachable.", "error": "Stock API error: {error}"},
}


class FormError(ValueError):
    """A document the form cannot send, in one sentence."""


def qty_text(value: str, locale: str, *, signed: bool = False) -> str:
    """``"12.500"`` as people write it: ``12,5`` (``+12,5`` when ``signed``)."""
    try:
        d = Decimal(value)
    except InvalidOperation:
        return value
    text = f"{d.normalize():f}" if d != 0 else "0"
    text = ("+" if signed and d > 0 else "") + text
    return text if locale == "en" else text.replace(".", ",")


def _kopecks(value: str) -> int:
    try:
        rub = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise ValueError(value) from None
    kop = rub * 100
    if not kop.is_finite() or kop < 0 or kop != kop.to_integral_value():
        raise ValueError(value)
    return int(kop)


def parse_rows(text: str, locale: str = "ru") -> list[dict[str, Any]]:
    """The document's lines from rows ``код количество [цена]`` (the price in roubles, as a
    unit's cost); blank rows are skipped, a row is numbered as the book numbers its lines.
    The quantity goes as typed: the book checks it."""
    words = WORDS.get(locale, WORDS["ru"])
    out: list[dict[str, Any]] = []
    for raw in text.splitlines():
        parts = raw.split()
        if not parts:
            continue
        n = len(out) + 1
        if len(parts) not in (2, 3):
            raise FormError(words["row"].format(n=n, text=raw.strip()))
        row: dict[str, Any] = {"item": parts[0], "qty": parts[1]}
        if len(parts) == 3:
            try:
                row["cost"] = _kopecks(parts[2])
            except ValueError:
                raise FormError(words["price"].format(n=n, value=parts[2])) from None
        out.append(row)
    if not out:
        raise FormError(words["no_rows"])
    return out


def fields_for(kind: DocKind) -> tuple[str, ...]:
    """The form's fields a kind needs besides its lines."""
    return tuple(f for f, needed in (("counterpart", kind in NEEDS_COUNTERPART),
                                     ("reason", kind is DocKind.WRITEOFF),
                                     ("ref", kind in NEEDS_REF)) if needed)


def level_rows(levels: dict[str, str], needle: str, locale: str) -> list[tuple[str, str]]:
    """The levels whose item code contains ``needle`` (any case), by code."""
    key = needle.strip().casefold()
    return [(code, qty_text(qty, locale)) for code, qty in sorted(levels.items())
            if key in code.casefold()]


def moves_text(moves: list[list[str]], locale: str) -> str:
    return ", ".join(f"{code} {qty_text(q, locale, signed=True)}" for code, q in moves)


def labels_text(done: dict[str, Any], locale: str) -> str:
    """What a printed batch says: the file, how many and which items, what was refused."""
    words = WORDS.get(locale, WORDS["ru"])
    if done.get("file"):
        items = list(done.get("items") or ())
        shown = ", ".join(items[:SHOWN_CODES]) + ("…" if len(items) > SHOWN_CODES else "")
        text = words["printed"].format(n=done["printed"], pages=done["pages"],
                                       file=done["file"], items=shown)
    else:
        text = words["nothing"]
    rejects = done.get("rejects") or ()
    if rejects:
        text += words["refused"].format(reasons="; ".join(r["reason"] for r in rejects))
    return text


class StockPanel(ChainPanel):
    """Key ``n``: the store's stock, its documents and price tags (``o``, the first choice,
    opens a shift on the Registers screen)."""

    name = "pos-stock"
    key = "n"
    words = WORDS

    @property
    def screen_cls(self) -> type[ChainScreen]:
        return StockScreen


class StockScreen(ChainScreen):
    """``doc_id`` is the open document's id: new after a posting, the same for a retry."""

    DEFAULT_CSS = """
    #so-body { height: 1fr; }
    #so-left { width: 40; }
    #so-levels { height: 1fr; }
    #so-form { width: 1fr; padding: 0 0 0 2; }
    #so-lines { height: 8; }
    .so-title { text-style: bold; margin: 1 0 0 0; }
    """
    prefix = PREFIX
    path = "/levels"
    head = "so-head"
    missing = "no_store"
    words = WORDS

    def __init__(self, client: Any, refresh_s: float = 5.0) -> None:
        super().__init__(client, refresh_s)
        self.doc_id = str(uuid.uuid4())
        self.levels: dict[str, str] = {}
        self.posting = False
        self.posts = 0  # finished postings, whatever their outcome (tests wait on them)
        self.prints = 0  # finished price-tag requests

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="so-head", markup=False)
        with Horizontal(id="so-body"):
            with Vertical(id="so-left"):
                yield Static(self.said("levels"), classes="so-title")
                yield Input(placeholder=self.said("filter"), id="so-filter")
                table: DataTable[str] = DataTable(id="so-levels", cursor_type="row")
                for c in ("item", "qty"):
                    table.add_column(self.said(c), key=c)
                yield table
            with VerticalScroll(id="so-form"):
                yield Static(self.said("document"), classes="so-title")
                yield Select([(self.said(k.value), k.value) for k in DocKind],
                             value=DocKind.RECEIPT.value, allow_blank=False, id="so-kind")
                yield Input(id="so-counterpart")
                yield Input(placeholder=self.said("reason"), id="so-reason")
                yield Input(placeholder=self.said("ref"), id="so-ref")
                yield Static(self.said("lines"))
                yield TextArea(id="so-lines")
                yield Input(placeholder=self.said("line"), id="so-line")
                yield Button(self.said("post"), id="so-post", variant="primary")
                yield Static("", id="so-status", markup=False)
                yield Static(self.said("tags"), classes="so-title")
                yield Input(placeholder=self.said("codes"), id="so-codes")
                yield Input(placeholder=self.said("file"), id="so-file")
                yield Button(self.said("print"), id="so-print")
                yield Static("", id="so-tags", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._kind_fields(DocKind.RECEIPT)

    def reload(self) -> None:
        # the function, not a coroutine: a load cancelled before it starts (the console
        # closing, a posting's reload) leaves no coroutine never awaited
        _started: Worker[None] = self.run_worker(self.load, exclusive=True, group=self.path)

    def action_back(self) -> None:
        if isinstance(self.focused, Input | TextArea | Select):
            self.set_focus(self.query_one("#so-levels", DataTable))
        else:
            super().action_back()

    # --- levels ------------------------------------------------------------------------------
    def show(self, data: dict[str, Any]) -> None:
        self.levels = dict(data.get("levels") or {})
        self._fill()

    def _fill(self) -> None:
        rows = level_rows(self.levels, self.query_one("#so-filter", Input).value, self.locale)
        shown = "" if len(rows) == len(self.levels) else self.said("shown", n=len(rows))
        self.query_one("#so-head", Static).update(
            self.said("summary", n=len(self.levels), shown=shown))
        table = self.query_one("#so-levels", DataTable)
        table.clear()
        for code, qty in rows:
            table.add_row(code, qty, key=code)

    @on(Input.Changed, "#so-filter")
    def _filtered(self) -> None:
        self._fill()

    # --- the document ------------------------------------------------------------------------
    @on(Select.Changed, "#so-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._kind_fields(DocKind(event.value))

    def _kind_fields(self, kind: DocKind) -> None:
        needed = fields_for(kind)
        for f in ("counterpart", "reason", "ref"):
            self.query_one(f"#so-{f}", Input).display = f in needed
        if kind in NEEDS_COUNTERPART:
            self.query_one("#so-counterpart", Input).placeholder = self.said(f"cp_{kind.value}")

    @on(Input.Submitted, "#so-line")
    def _line_added(self, event: Input.Submitted) -> None:
        row = event.value.strip()
        if not row:
            return
        try:
            parse_rows(row, self.locale)
        except FormError as exc:
            self.query_one("#so-status", Static).update(str(exc))
            return
        area = self.query_one("#so-lines", TextArea)
        text = area.text.rstrip("\n")
        area.load_text(f"{text}\n{row}" if text else row)
        event.input.value = ""
        self.query_one("#so-status", Static).update("")

    def document(self) -> dict[str, Any]:
        """The form as the API's document (``FormError`` when it cannot be one)."""
        kind = DocKind(str(self.query_one("#so-kind", Select).value))
        body: dict[str, Any] = {"id": self.doc_id, "kind": kind.value,
                                "lines": parse_rows(self.query_one("#so-lines", TextArea).text,
                                                    self.locale),
                                "posted_by": "console"}
        for f in fields_for(kind):
            value = self.query_one(f"#so-{f}", Input).value.strip()
            if value:
                body[f] = value
        return body

    @on(Button.Pressed, "#so-post")
    def _post_pressed(self) -> None:
        self.action_post()

    def action_post(self) -> None:
        """Post the form's document (a press while one is on its way is ignored)."""
        if not self.posting:
            self.posting = True
            self.run_worker(self._post(), group="stock-post")

    async def _post(self) -> None:
        status = self.query_one("#so-status", Static)
        try:
            try:
                body = self.document()
            except FormError as exc:
                status.update(str(exc))
                return
            try:
                done = await self.client.request("POST", f"{PREFIX}/documents", json=body,
                                                 params={"locale": self.locale})
            except HubUnavailable:
                status.update(self.said("post_offline"))  # the id stays: a retry is the same
                return
            except ApiError as exc:  # the book's refusal, as the hub says it
                status.update(self.said("no_store") if exc.status == 404 else str(exc))
                return
            status.update(self.said("replay" if done.get("replay") else "posted",
                                    moves=moves_text(done.get("moves") or [], self.locale)))
            self._clear_form()
            self.reload()
        finally:
            self.posting = False
            self.posts += 1

    def _clear_form(self) -> None:
        self.doc_id = str(uuid.uuid4())
        for f in ("counterpart", "reason", "ref", "line"):
            self.query_one(f"#so-{f}", Input).value = ""
        self.query_one("#so-lines", TextArea).load_text("")

    # --- price tags --------------------------------------------------------------------------
    @on(Button.Pressed, "#so-print")
    def _print_pressed(self) -> None:
        self.action_print_tags()

    def action_print_tags(self) -> None:
        """Ask the hub for the tags of the codes given, else of the prices changed since the
        last printed batch."""
        self.query_one("#so-tags", Static).update(self.said("printing"))
        self.run_worker(self._print(), group="stock-tags", exclusive=True)

    async def _print(self) -> None:
        out = self.query_one("#so-tags", Static)
        codes = [c for c in self.query_one("#so-codes", Input).value.replace(";", ",")
                 .replace(" ", ",").split(",") if c]
        body: dict[str, Any] = {"codes": codes} if codes else {"since": "last"}
        file = self.query_one("#so-file", Input).value.strip()
        if file:
            body["file"] = file
        try:
            done = await self.client.request("POST", f"{PREFIX}/labels", json=body,
                                             params={"locale": self.locale},
                                             timeout=LABELS_TIMEOUT_S)
        except HubUnavailable:
            out.update(self.said("tags_offline"))
        except ApiError as exc:
            out.update(self.said("no_store") if exc.status == 404 else str(exc))
        else:
            out.update(labels_text(done, self.locale))
        finally:
            self.prints += 1
