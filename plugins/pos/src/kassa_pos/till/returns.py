"""The return screen: goods coming back, by the sale's receipt or without one.

By receipt: scan the receipt's QR (a scanner burst reaches ``on_scan``) or type the till's
check number (``ФН/ФД`` as two numbers also finds it); the sale's lines show what is still
returnable. Space marks a line whole (again: unmarks), F3 asks for a part of it, F2 marks
everything; F10 (or Enter on the lines) makes the return: the money goes back the way it
came and the refund receipt is printed, in the engine (``Till.return_by_receipt``).

Without a receipt (F4; a manager always confirms): scan or type the goods (``2*code`` for
a quantity); they are priced at today's catalog price without discounts and refunded in
cash.

A chain store's check of another store is found at the centre and returned like this
store's own (cash back). With the centre out of reach and ``[pos.chain] returns =
"accept"``, its QR switches the screen to taking the goods as without a receipt, the QR kept
as proof (``Till.return_by_qr_offline``, up to ``returns_limit``).

A refusal (too much, a declined card refund, no right) is the engine's sentence and
nothing moved; ``RetryLater`` (the register out of paper, a terminal that did not answer)
means the return is under way: F10 finishes the same return (nothing goes back twice), and
the screen does not close before it is finished unless Esc is pressed twice.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from attrs import define
from kassa.errors import RetryLater, UserError
from kassa.i18n import t
from kassa.model.money import format_money
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from kassa_pos.engine.check import Check
from kassa_pos.engine.returns import ReturnLine
from kassa_pos.till.ask import AskScreen
from kassa_pos.till.checkview import qty_text
from kassa_pos.till.confirm import with_manager
from kassa_pos.till.payment import say

if TYPE_CHECKING:
    from kassa_pos.engine.returns import Returned
    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till

_FN_FD = re.compile(r"^\s*(\d{16})\s*[/ ]\s*(\d{1,10})\s*$")


@define
class Row:
    """A sale's line as the return screen shows it."""

    line_no: int
    name: str
    left: Decimal  # still returnable
    chosen: Decimal = Decimal(0)


class ReturnScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ReturnScreen { align: center middle; }
    ReturnScreen > Vertical {
        width: 78; height: auto; max-height: 23; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    ReturnScreen #title { text-style: bold; }
    ReturnScreen DataTable { height: auto; max-height: 9; }
    ReturnScreen #status { height: auto; min-height: 2; }
    ReturnScreen #status.error { color: $error; }
    ReturnScreen #status.done { color: $success; text-style: bold; }
    ReturnScreen #keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("f2", "all", show=False, priority=True),
        Binding("f3", "part", show=False, priority=True),
        Binding("f4", "no_receipt", show=False, priority=True),
        Binding("f10", "make", show=False, priority=True),
        Binding("space", "mark", show=False),
        Binding("escape", "cancel", show=False, priority=True),
    ]

    def __init__(self, till: Till, actor: Person) -> None:
        super().__init__()
        self.till, self.actor = till, actor
        self.locale = till.book.locale
        self.sale: str | None = None  # the sale's check id
        self.rows: list[Row] = []
        self.goods: Check | None = None  # without a receipt: what is brought back
        self.proof: str | None = None  # another store's QR, taken with the centre away
        self.return_id = uuid.uuid4().hex
        self.held = False  # a RetryLater: the same return must be finished
        self.leaving = False
        self.busy = False
        self.done: Returned | None = None

    def compose(self) -> ComposeResult:
        loc = self.locale
        with Vertical():
            yield Static(t("pos.till.ret.title", loc), id="title")
            yield Input(placeholder=t("pos.till.ret.find", loc), id="code")
            table: DataTable[str] = DataTable(id="lines", cursor_type="row")
            yield table
            yield Static("", id="status")
            yield Static(t("pos.till.ret.keys", loc), id="keys")

    def on_mount(self) -> None:
        loc = self.locale
        self.query_one("#lines", DataTable).add_columns(
            t("pos.till.ret.col.no", loc), t("pos.till.ret.col.name", loc),
            t("pos.till.ret.col.left", loc), t("pos.till.ret.col.back", loc))
        self.query_one("#code", Input).focus()

    # -- what is shown ---------------------------------------------------------------------
    def _status(self, text: str, cls: str = "") -> None:
        status = self.query_one("#status", Static)
        status.set_classes(cls)
        status.update(text)

    def _refresh(self) -> None:
        table = self.query_one("#lines", DataTable)
        row = table.cursor_row
        table.clear()
        if self.goods is not None:
            for ln in self.goods.live:
                table.add_row(str(ln.no), ln.name[:40], "", qty_text(ln.quantity))
        else:
            for r in self.rows:
                table.add_row(str(r.line_no + 1), r.name[:40], qty_text(r.left),
                              qty_text(r.chosen) if r.chosen else "")
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))

    def _chosen(self) -> list[ReturnLine]:
        return [ReturnLine(line_no=r.line_no, quantity=r.chosen) for r in self.rows
                if r.chosen]

    # -- finding the sale ------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text, event.input.value = event.value.strip(), ""
        if self.done is not None:
            self.dismiss(None)
        elif text:
            self.on_scan(text)
        elif self.goods is not None:
            self.action_make()

    def on_scan(self, code: str) -> None:
        """A scanner burst or a typed line: the receipt (by receipt), an item (without)."""
        if self.done is not None or self.busy or self.held:
            return
        if self.goods is not None:
            self.bring(code)
        else:
            self.find(code)

    @work(exclusive=True, group="ret")
    async def find(self, code: str) -> None:
        loc = self.locale
        try:
            if "fn=" in code and "i=" in code:
                sale = await self.till.find_sale(qr=code)
            elif (m := _FN_FD.match(code)) is not None:
                sale = await self.till.find_sale(fn=m[1], fd=int(m[2]))
            elif code.isdigit() and len(code) <= 9:
                sale = await self.till.find_sale(number=int(code))
            else:
                self._status(t("pos.till.ret.what", loc, text=code[:40]), "error")
                return
            rows = await self.till.returns.returnable(sale)
        except UserError as exc:
            if getattr(exc, "code", None) == "centre_offline_accept" and "fn=" in code:
                self._offline(code, say(exc, loc))
                return
            self._status(say(exc, loc), "error")
            return
        self.sale, self.return_id = sale, uuid.uuid4().hex
        self.rows = [Row(n, name, left) for n, name, left in rows]
        self._refresh()
        if not any(r.left for r in self.rows):
            self._status(t("pos.till.ret.all_back", loc), "error")
            return
        self._status(t("pos.till.ret.found", loc))
        self.query_one("#lines", DataTable).focus()

    # -- choosing the lines ----------------------------------------------------------------
    def _row(self) -> Row | None:
        table = self.query_one("#lines", DataTable)
        if self.goods is not None or not self.rows or self.held or self.done is not None:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def action_mark(self) -> None:
        row = self._row()
        if row is None:
            return
        row.chosen = Decimal(0) if row.chosen else row.left
        self._status("")
        self._refresh()

    def action_all(self) -> None:
        if self._row() is None:
            return
        for r in self.rows:
            r.chosen = r.left
        self._status("")
        self._refresh()

    @work(exclusive=True, group="ask")
    async def action_part(self) -> None:
        row = self._row()
        if row is None:
            return
        loc = self.locale
        answer = await self.app.push_screen_wait(AskScreen(
            t("pos.till.ret.ask_qty", loc, name=row.name, left=qty_text(row.left)),
            check=lambda text: self._bad_qty(text, row.left)))
        if answer is None:
            return
        row.chosen = _quantity(answer) or Decimal(0)
        self._status("")
        self._refresh()

    def _bad_qty(self, text: str, left: Decimal) -> str | None:
        q = _quantity(text)
        if q is None or q > left:
            return t("pos.till.ret.bad_qty", self.locale, text=text, left=qty_text(left))
        return None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.rows and any(r.chosen for r in self.rows):
            self.action_make()
        else:
            self.action_mark()

    # -- without a receipt -----------------------------------------------------------------
    def action_no_receipt(self) -> None:
        if self.held or self.done is not None or self.busy:
            return
        self.sale, self.rows, self.proof = None, [], None
        self.goods = Check(site=self.till.site, till=self.till.name, cashier=self.actor,
                           locale=self.locale)
        self.return_id = uuid.uuid4().hex
        self.query_one("#code", Input).placeholder = t("pos.till.ret.item", self.locale)
        self.query_one("#title", Static).update(t("pos.till.ret.title_none", self.locale))
        self._status(t("pos.till.ret.none_hint", self.locale))
        self._refresh()
        self.query_one("#code", Input).focus()

    def _offline(self, qr: str, why: str) -> None:
        """Another store's QR with the centre away, by policy: take the goods as brought."""
        self.action_no_receipt()
        self.proof = qr
        self.query_one("#title", Static).update(t("pos.till.ret.title_offline", self.locale))
        self._status(t("pos.till.ret.offline_hint", self.locale, reason=why))

    @work(exclusive=True, group="ret")
    async def bring(self, text: str) -> None:
        goods = self.goods
        if goods is None:
            return
        quantity: Decimal | None = None
        code = text
        if "*" in text:
            head, _, code = text.partition("*")
            quantity = _quantity(head)
            if quantity is None:
                self._status(t("pos.till.bad_qty", self.locale, text=head), "error")
                return
        try:
            found = self.till.catalog.find(code.strip())
            if found.price is None:
                raise UserError(t("pos.till.ret.no_price", self.locale, name=found.item.name))
            marking = None
            if found.item.marking_required:
                marking = await self.app.push_screen_wait(AskScreen(
                    t("pos.till.ask_marking", self.locale, name=found.item.name)))
                if not marking:
                    return
            if found.amount is not None and quantity is None:  # a priced-goods label
                quantity = Decimal(1)
                price = found.amount
            else:
                price = found.price
            goods.add_item(found.item, price, quantity=quantity if quantity is not None
                           else found.quantity, barcode=found.barcode or None,
                           marking_code=marking)
        except UserError as exc:
            self._status(say(exc, self.locale), "error")
            return
        self._status(t("pos.till.ret.total", self.locale,
                       amount=format_money(goods.total, self.locale)))
        self._refresh()

    # -- making the return -----------------------------------------------------------------
    @work(exclusive=True, group="ret")
    async def action_make(self) -> None:
        if self.busy or self.done is not None:
            return
        loc = self.locale
        if self.goods is not None:
            lines = self.goods.sale_lines()
            if not lines:
                self._status(t("pos.till.ret.nothing", loc), "error")
                return

            proof = self.proof

            async def act(manager: Person | None) -> Returned:
                if proof is not None:
                    return await self.till.return_by_qr_offline(
                        proof, lines, actor=self.actor, manager=manager,
                        return_id=self.return_id)
                return await self.till.return_without_receipt(
                    lines, actor=self.actor, manager=manager, return_id=self.return_id)
        elif self.sale is not None:
            sale, chosen = self.sale, self._chosen()
            if not chosen:
                self._status(t("pos.till.ret.nothing", loc), "error")
                return

            async def act(manager: Person | None) -> Returned:
                return await self.till.return_by_receipt(
                    sale, chosen, actor=self.actor, manager=manager,
                    return_id=self.return_id)
        else:
            self._status(t("pos.till.ret.first", loc), "error")
            return
        self.busy = True
        self._status(t("pos.till.ret.running", loc))
        outcome: dict[str, Any] = {}

        def tell(text: str) -> None:
            outcome["refusal"] = text

        async def guarded(manager: Person | None) -> Returned:
            try:
                return await act(manager)
            except RetryLater as exc:
                outcome["held"] = say(exc, loc)
                raise
        try:
            done = await with_manager(self, self.till, self.actor, guarded,
                                      t("pos.till.ret.act", loc), tell)
        finally:
            self.busy = False
        if done is not None:
            self.show_done(done)
        elif "held" in outcome:
            self.held = True  # the plan is stored: F10 resumes the same return
            self._status(t("pos.till.ret.held", loc, reason=outcome["held"].rstrip(".")),
                         "error")
        else:
            # refused: nothing moved; a new attempt is a new return (the engine keeps a
            # refused return refused)
            self.return_id = uuid.uuid4().hex
            self._status(outcome.get("refusal", ""), "error")

    def show_done(self, done: Returned) -> None:
        """The finished return on the status line: how much went back which ways."""
        loc = self.locale
        self.done, self.held = done, False
        ways = ", ".join(f"{self._way(rf.tender.kind)} {format_money(rf.amount, loc)}"
                         for rf in done.refunds)
        if done.document is None:  # points only: no money, no refund receipt
            self._status(t("pos.till.ret.done_points", loc, ways=ways), "done")
        else:
            self._status(t("pos.till.ret.done", loc, amount=format_money(done.total, loc),
                           ways=ways or self._way("cash"), fd=done.document.number), "done")
        self.query_one("#code", Input).focus()

    def _way(self, kind: str) -> str:
        key = kind.split(":", 1)[0]
        if key == "internal":
            return kind.split(":", 1)[1]
        return t(f"pos.till.pay.kind.{key}", self.locale)

    def action_cancel(self) -> None:
        if self.busy:
            return
        if self.held and not self.leaving:
            self.leaving = True
            self._status(t("pos.till.ret.leave", self.locale), "error")
            return
        self.dismiss(None)


def _quantity(text: str) -> Decimal | None:
    """A positive quantity as a cashier types it (``2``, ``0,450``), else None."""
    try:
        q = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not q.is_finite() or q <= 0 or q > 9999 or q != q.quantize(Decimal("0.001")):
        return None
    return q
