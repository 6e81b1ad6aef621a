"""``TillApp``: the cashier's till over one ``Till`` in the hub's own loop (``kassa pos
till``). Login, then the shift (opened with a float when the till has none), payments a
crash left unfinished resumed, then the sale screen.

Keys pass through ``Burst`` first (``scanner.py``): a keyboard-wedge scanner's burst goes to
the current screen's ``on_scan`` (the sale screen sells it; the confirmation, login, guest
and return screens take a card or a receipt's QR), whatever widget has focus; typing reaches
its widget as usual, at most ``max_gap`` later. A screen without ``on_scan`` gets the burst
as typed text.

Every two seconds the chain link (``kassa_pos.chain.link``) is read: while the store's
documents cannot get out, a banner says so and how many wait; selling goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kassa.i18n import t
from kassa.model.money import format_money
from textual import events, work
from textual.app import App

from kassa_pos.chain.link import link
from kassa_pos.till.ask import AskScreen
from kassa_pos.till.layout import Layout, default
from kassa_pos.till.login import LoginScreen
from kassa_pos.till.payment import parse_money, say
from kassa_pos.till.sale import SaleScreen
from kassa_pos.till.scanner import Burst

if TYPE_CHECKING:
    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till


class TillApp(App[None]):
    TITLE = "Kassa"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, till: Till, *, layout: Layout | None = None, actor: Person | None = None,
                 clock: Callable[[], float] = time.monotonic, link_every: float = 2.0,
                 hint: str = "") -> None:
        super().__init__()
        self.till = till
        self.keymap = layout or default()
        self.locale = till.book.locale
        self.actor = actor
        self.clock = clock
        self.burst: Burst[events.Key] = Burst(self.keymap.scanner)
        self.link_every = link_every
        self.hint = hint  # one more line on the sign-in screen (the demo's PINs)
        self.scans = 0  # bursts taken as scans (tests and the status line)
        from kassa_pos.settings import PosSettings

        tills = till.hub.section("pos", PosSettings).tills
        self.till_title = next((s.title for s in tills if s.name == till.name), "") or till.name

    def on_mount(self) -> None:
        self.title = t("pos.till.title", self.locale) + f" · {self.till_title}"
        self.set_interval(self.link_every, self.poll_link)
        if self.actor is not None:
            self.start(self.actor)
        else:
            self.push_screen(LoginScreen(self.till, self.till_title, hint=self.hint),
                             callback=self.signed_in)

    def signed_in(self, person: Person | None) -> None:
        self.start(person)

    @work(exclusive=True, group="start")
    async def start(self, person: Person | None) -> None:
        if person is None:
            return
        self.actor = person
        till = self.till
        try:
            if await till.shifts.current(till.site, till.name) is None:
                await self._open_shift(person)
            done = await till.resume_payments(person)
        except Exception as exc:  # the register is down...: say it, the till still opens
            self.notify(say(exc, self.locale), severity="error", timeout=15)
            done = []
        for paid in done:
            self.notify(t("pos.till.resumed_payment", self.locale, fd=paid.document.number),
                        timeout=10)
        await self.push_screen(SaleScreen(till, person, self.keymap, title=self.till_title))
        self.poll_link()

    async def _open_shift(self, person: Person) -> None:
        def check(answer: str) -> str | None:
            try:
                parse_money(answer or "0", zero=True)
            except ValueError:
                return t("pos.till.pay.bad_amount", self.locale, text=answer)
            return None

        answer = await self.push_screen_wait(AskScreen(
            t("pos.till.ask_float", self.locale), value="0", check=check))
        if answer is None:
            return
        float_ = parse_money(answer or "0", zero=True) or 0
        await self.till.open_shift(person, float_=float_)
        self.notify(t("pos.till.shift_opened", self.locale,
                      amount=format_money(float_, self.locale)))

    # -- the scanner burst ----------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        now = self.clock()
        char = event.character if event.is_printable else None
        through, code = self.burst.key(event, char, enter=event.key == "enter", now=now)
        await self._let_through(through)
        if code is not None:
            if not self.scanned(code):  # no scanner here: the keys are typing after all
                await self._let_through(self.burst.taken)
        elif self.burst.held:
            self.set_timer(self.keymap.scanner.max_gap * 1.5, self._flush_typing)

    async def _flush_typing(self) -> None:
        if self.burst.due(self.clock()):
            await self._let_through(self.burst.flush())
        elif self.burst.held:  # another key came meanwhile and armed its own timer
            self.set_timer(self.keymap.scanner.max_gap, self._flush_typing)

    async def _let_through(self, keys: list[events.Key]) -> None:
        """Keys held back, then let through in order. A printable key for a focused text
        field is typed into it at once: dispatched as an event it would land after the
        key behind it (an F key's binding runs at once and would read the field without
        the amount just typed)."""
        from textual.widgets import Input

        for key in keys:
            box = self.focused
            if key.is_printable and key.character and isinstance(box, Input) \
                    and not key.is_forwarded:
                if box.selection.is_empty:
                    box.insert_text_at_cursor(key.character)
                else:
                    box.replace(key.character, *box.selection)
                continue
            await super().on_event(key)

    def scanned(self, code: str) -> bool:
        """Give a burst to the current screen's ``on_scan``; False when it has none."""
        target: Any = self.screen
        on_scan = getattr(target, "on_scan", None)
        if on_scan is None:
            return False
        self.scans += 1
        on_scan(code)
        return True

    # -- the chain link -------------------------------------------------------------------
    def poll_link(self) -> None:
        state = link(self.till.hub)
        text = ""
        if state is not None and not state.online:
            text = t("pos.till.offline", self.locale, count=state.pending)
        for screen in self.screen_stack:
            # a sale screen just pushed is not composed yet: the next poll reaches it
            if isinstance(screen, SaleScreen) and screen.is_mounted:
                screen.set_banner(text)
