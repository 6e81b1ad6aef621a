"""The sale screen: the active check (lines, discounts, totals, the guest), tabs of this
till's open checks, the item field, the status line and the layout's key bar.

The item field takes a barcode, PLU or item code (Enter sells it), ``3*`` before a code
for a quantity (``0,450*`` for a weight), or ``?`` and a name to search. A scanner burst
arrives through ``on_scan`` whatever has focus. Every cashier action is one engine call;
its refusal is the engine's sentence in the status line. ``AccessDenied`` opens the
manager's confirmation and the action is tried again with the manager who confirmed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from kassa.errors import RetryLater, UserError
from kassa.i18n import t
from kassa.model.money import format_money
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from kassa_pos.engine.catalog import ItemFlag
from kassa_pos.till.ask import AskScreen, PickScreen
from kassa_pos.till.checkview import CheckView, qty_text
from kassa_pos.till.payment import say
from kassa_pos.till.sale_edits import CheckEdits

if TYPE_CHECKING:
    from textual import events

    from kassa_pos.engine.check import Check
    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till
    from kassa_pos.till.confirm import Act
    from kassa_pos.till.layout import Layout



class SaleScreen(CheckEdits, Screen[None]):
    DEFAULT_CSS = """
    SaleScreen { layout: vertical; }
    SaleScreen #head { height: 1; background: $primary; color: $text; }
    SaleScreen #banner { height: auto; background: $error; color: $text; display: none; }
    SaleScreen #banner.shown { display: block; }
    SaleScreen #tabs { height: 1; color: $text-muted; }
    SaleScreen #prompt { height: auto; color: $warning; text-style: bold; }
    SaleScreen #status { height: auto; }
    SaleScreen #status.error { color: $error; }
    SaleScreen #bar { height: auto; max-height: 4; color: $text-muted; }
    """

    def __init__(self, till: Till, actor: Person, layout: Layout, *, title: str = "") -> None:
        super().__init__()
        self.till, self.actor, self.keymap = till, actor, layout
        self.locale = till.book.locale
        self.pending_qty: Decimal | None = None
        self.till_title = title or till.name

    # -- what is shown ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="head")
            yield Static("", id="banner")
            yield Static("", id="tabs")
            yield CheckView(self.locale)
            yield Static("", id="prompt")
            yield Static("", id="status")
            yield Input(placeholder=t("pos.till.item", self.locale), id="item")
            yield Static(self._bar(), id="bar")

    def on_mount(self) -> None:
        self.refresh_check()
        self.query_one("#item", Input).focus()

    def _bar(self) -> str:
        loc = self.locale
        parts = [f"{k.key.upper()} {k.label or t('pos.till.act.' + k.action, loc)}"
                 for k in self.keymap.keys]
        parts += [f"{q.key.upper()} {q.label}" for q in self.keymap.quick]
        return " · ".join(parts)

    @property
    def check(self) -> Check | None:
        return self.till.book.active(self.till.name)

    def refresh_check(self) -> None:
        loc, till = self.locale, self.till
        self.query_one("#head", Static).update(
            t("pos.till.head", loc, till=self.till_title, cashier=self.actor.name,
              role=t("pos.till.role." + self.actor.role.value, loc)))
        checks = till.book.checks(till.name)
        active = self.check
        tabs = [(f"[{c.number}]" if active is not None and c.id == active.id
                 else f" {c.number} ") for c in checks]
        self.query_one("#tabs", Static).update(
            t("pos.till.tabs", loc, tabs=" ".join(tabs)) if tabs else t("pos.till.no_check", loc))
        self.query_one(CheckView).show(active)

    def selected_line(self) -> int | None:
        """The number of the check's line under the cursor (None: no check, no lines)."""
        return self.query_one(CheckView).selected_line() if self.check is not None else None

    def set_banner(self, text: str) -> None:
        found = self.query("#banner")
        if not found:  # composing, or closing (its children gone): the next poll reaches it
            return
        banner = found.first(Static)
        banner.update(text)
        banner.set_class(bool(text), "shown")

    def say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.set_class(error, "error")
        status.update(text)

    def show_prompts(self, check: Check | None) -> None:
        texts = self.till.prompts(check) if check is not None else []
        if texts:
            self.query_one("#prompt", Static).update("\n".join(f"» {p}" for p in texts))
            self.app.bell()

    # -- running an engine call ------------------------------------------------------------
    async def attempt(self, act: Act, why: str) -> Any:
        """Run ``act`` (a manager asked on ``AccessDenied``); a refusal is said in the
        status line; returns the result or None."""
        from kassa_pos.till.confirm import with_manager

        try:
            return await with_manager(self, self.till, self.actor, act, why,
                                      lambda text: self.say(text, error=True))
        finally:
            self.refresh_check()
            check = self.check
            if check is not None and check.quote_due:
                self.requote(check)

    @work(exclusive=True, group="quote")
    async def requote(self, check: Check) -> None:
        """A line change dropped the guest's quote: ask the programme again in the
        background (the cashier scans on; a newer change starts it over)."""
        try:
            await self.till.requote(check)
        except UserError as exc:
            self.say(say(exc, self.locale), error=True)
        self.refresh_check()

    async def ask(self, question: str, **kw: Any) -> str | None:
        answer: str | None = await self.app.push_screen_wait(AskScreen(question, **kw))
        return answer

    # -- the item field and the scanner ----------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text, event.input.value = event.value.strip(), ""
        if not text:
            return
        if text.startswith("?"):
            self.run_worker(self._search(text[1:].strip()), exclusive=True, group="act")
            return
        if "*" in text:
            head, _, code = text.partition("*")
            quantity = self._quantity(head)
            if quantity is None:
                return
            if not code.strip():
                self.pending_qty = quantity
                self.say(t("pos.till.qty_next", self.locale, qty=qty_text(quantity)))
                return
            self.sell(code.strip(), quantity)
            return
        self.sell(text, None)

    def on_scan(self, code: str) -> None:
        """A scanner burst (the app routes it here whatever has focus)."""
        box = self.query_one("#item", Input)
        head = box.value.strip()
        if "*" in code:  # "3*" typed so fast it joined the scan
            head, _, code = code.rpartition("*")
            head += "*"
        if head.endswith("*"):  # "3*" typed, then the scan
            box.value = ""
            quantity = self._quantity(head[:-1])
            if quantity is None:
                return
            self.sell(code, quantity)
            return
        self.sell(code, None)

    def _quantity(self, text: str) -> Decimal | None:
        try:
            q = Decimal(text.strip().replace(",", "."))
        except InvalidOperation:
            q = Decimal(0)
        if not q.is_finite() or q <= 0 or q > 9999:
            self.say(t("pos.till.bad_qty", self.locale, text=text), error=True)
            return None
        return q

    @work(exclusive=False, group="act")
    async def sell(self, code: str, quantity: Decimal | None) -> None:
        quantity = quantity if quantity is not None else self.pending_qty
        self.pending_qty = None
        till = self.till
        check = self.check or await self._new()
        if check is None:
            return

        marking: str | None = None
        try:
            found = till.catalog.find(code)
        except UserError as exc:
            if not await self._guest_card(code, check):
                self.say(say(exc, self.locale), error=True)
            return
        if ItemFlag.MARKING in found.item.flags:  # each unit's own code, checked first
            marking = await self.ask(t("pos.till.ask_marking", self.locale,
                                       name=found.item.name))
            if not marking:
                return

        async def act(manager: Person | None) -> Any:
            return await till.scan(check, code, actor=self.actor, quantity=quantity,
                                   marking_code=marking)

        line = await self.attempt(act, t("pos.till.act.sell", self.locale))
        if line is not None:
            self.query_one("#prompt", Static).update("")
            self.say(t("pos.till.added", self.locale, name=line.name,
                       qty=qty_text(line.quantity)))
            self.show_prompts(check)

    async def _guest_card(self, code: str, check: Check) -> bool:
        """A scan that is no item may be a guest's loyalty card: the guest panel opens on
        it (a blocked card: the programme's or the register's sentence). False: neither the
        programme nor the store's client register knows it."""
        from kassa_pos.engine.client_register import UnknownCard
        from kassa_pos.till.guest import GuestScreen

        try:
            found = await self.till.find_guest(code)
        except (RetryLater, UnknownCard):  # nobody here knows it: the item's sentence stands
            return False
        except UserError as exc:
            self.say(say(exc, self.locale), error=True)  # a blocked card
            return True
        if found is None:
            return False
        await self.app.push_screen_wait(GuestScreen(self.till, check, self.actor, card=code))
        self.refresh_check()
        return True

    async def _new(self) -> Check | None:
        async def act(manager: Person | None) -> Any:
            return await self.till.new_check(self.actor)

        check: Check | None = await self.attempt(act, t("pos.till.act.new_check", self.locale))
        if check is not None:
            self.show_prompts(check)
        return check

    async def _search(self, query: str) -> None:
        items = self.till.catalog.search(query, limit=12) if query else []
        options = []
        for item in items:
            price = self.till.catalog.price(item)
            options.append((item.code, f"{item.name} · {item.code} · "
                            + (format_money(price, self.locale) if price is not None
                               else t("pos.till.no_price", self.locale))))
        picked = await self.app.push_screen_wait(PickScreen(
            t("pos.till.search_title", self.locale, query=query), options,
            empty=t("pos.till.search_none", self.locale, query=query)))
        if picked:
            check = self.check or await self._new()
            if check is None:
                return

            async def act(manager: Person | None) -> Any:
                return await self.till.add(check, actor=self.actor, item_code=picked)

            if await self.attempt(act, t("pos.till.act.sell", self.locale)) is not None:
                self.show_prompts(check)

    # -- keys of the layout ----------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        action = self.keymap.action(event.key)
        quick = self.keymap.quick_item(event.key)
        if action is None and quick is None:
            return
        event.stop()
        event.prevent_default()
        if quick is not None:
            self.sell(quick.item, None)
            return
        assert action is not None
        self.do(action)

    def do(self, action: str) -> None:
        if action == "quit":
            self.app.exit()
            return
        handler = getattr(self, f"do_{action}", None)
        if handler is not None:
            self.run_worker(handler(), exclusive=True, group="act")

    async def do_quantity(self) -> None:
        answer = await self.ask(t("pos.till.ask_qty", self.locale))
        if answer:
            quantity = self._quantity(answer)
            if quantity is not None:
                self.pending_qty = quantity
                self.say(t("pos.till.qty_next", self.locale, qty=qty_text(quantity)))

    async def do_new_check(self) -> None:
        await self._new()
        self.refresh_check()

    async def do_next_check(self) -> None:
        checks = self.till.book.checks(self.till.name)
        if len(checks) < 2:
            return
        active = self.check
        i = next((n for n, c in enumerate(checks) if active and c.id == active.id), -1)
        self.till.book.switch(self.till.name, checks[(i + 1) % len(checks)].id)
        self.refresh_check()

    async def do_defer(self) -> None:
        check = self.check
        if check is None:
            return

        async def act(manager: Person | None) -> Any:
            await self.till.book.defer(check, actor=self.actor)
            return True

        if await self.attempt(act, t("pos.till.act.defer", self.locale)):
            self.say(t("pos.till.deferred", self.locale, number=check.number))

    async def do_deferred(self) -> None:
        loc = self.locale
        waiting = await self.till.book.deferred()
        options = [(d.id, t("pos.till.deferred_row", loc, number=d.number, till=d.till,
                            cashier=d.cashier, total=format_money(d.total, loc)))
                   for d in waiting]
        picked = await self.app.push_screen_wait(PickScreen(
            t("pos.till.deferred_title", loc), options, empty=t("pos.till.deferred_none", loc)))
        if not picked:
            return

        async def act(manager: Person | None) -> Any:
            return await self.till.book.resume(picked, self.till.name, actor=self.actor)

        check = await self.attempt(act, t("pos.till.act.deferred", loc))
        if check is not None:
            self.say(t("pos.till.resumed", loc, number=check.number))

    async def do_pay(self) -> None:
        from kassa_pos.till.payment import PaymentScreen

        check = self.check
        if check is None or not check.live:
            self.say(t("pos.till.nothing_to_pay", self.locale), error=True)
            return
        try:
            await self.till.requote(check)  # the bonus the guest may spend, for these lines
            await self.till.subtotal(check)
        except UserError as exc:
            self.say(say(exc, self.locale), error=True)
            return
        self.show_prompts(check)
        paid = await self.app.push_screen_wait(PaymentScreen(self.till, check, self.actor))
        self.refresh_check()
        if paid is not None:
            self.query_one("#prompt", Static).update("")
            self.say(t("pos.till.paid", self.locale, number=check.number,
                       change=format_money(paid.change, self.locale)))

    async def do_search(self) -> None:
        query = await self.ask(t("pos.till.ask_search", self.locale))
        if query:
            await self._search(query)

    async def do_drawer(self) -> None:
        reason = await self.ask(t("pos.till.ask_reason_drawer", self.locale))
        if not reason:
            return

        async def act(manager: Person | None) -> Any:
            kicked = await self.till.open_drawer(self.actor, reason=reason, manager=manager)
            return "kicked" if kicked else "key"

        done = await self.attempt(act, t("pos.till.act.drawer", self.locale))
        if done:
            self.say(t("pos.till.drawer_" + done, self.locale))

    async def do_guest(self) -> None:
        await self._screen("guest", "GuestScreen")

    async def do_return(self) -> None:
        await self._screen("returns", "ReturnScreen")

    async def do_x_report(self) -> None:
        await self._screen("reports", "XReportScreen")

    async def do_cash_report(self) -> None:
        await self._screen("reports", "CashReportScreen")

    async def do_shift(self) -> None:
        await self._screen("reports", "ShiftScreen")

    async def _screen(self, module: str, name: str) -> None:
        """One of the modal screens of ``kassa_pos.till.<module>``: guest, returns and
        reports take (till, [check,] actor)."""
        import importlib

        try:
            cls = getattr(importlib.import_module(f"kassa_pos.till.{module}"), name)
        except (ImportError, AttributeError):
            self.say(t("pos.till.not_here", self.locale), error=True)
            return
        args: list[Any] = [self.till]
        if module == "guest":
            check = self.check or await self._new()
            if check is None:
                return
            args.append(check)
        await self.app.push_screen_wait(cls(*args, self.actor))
        self.refresh_check()
