"""The sale screen's corrections of the check: void a line or the whole check, override a
line's price, a manual discount. Each asks what it needs (the reason, the price), then runs
one engine call through the screen's ``attempt`` (a manager confirms on ``AccessDenied``).
``SaleScreen`` mixes them in; they reach the rest of the screen only through the names
declared below."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from kassa.i18n import t

if TYPE_CHECKING:
    from kassa_pos.engine.check import Check
    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till
    from kassa_pos.till.confirm import Act


class CheckEdits:
    till: Till
    actor: Person
    locale: str

    if TYPE_CHECKING:  # the sale screen's
        @property
        def check(self) -> Check | None: ...
        def selected_line(self) -> int | None: ...
        def say(self, text: str, *, error: bool = False) -> None: ...
        def show_prompts(self, check: Check | None) -> None: ...
        async def ask(self, question: str, **kw: Any) -> str | None: ...
        async def attempt(self, act: Act, why: str) -> Any: ...

    async def do_void_line(self) -> None:
        check = self.check
        no = self.selected_line()
        if check is None or no is None:
            self.say(t("pos.till.nothing_to_void", self.locale), error=True)
            return
        reason = await self.ask(t("pos.till.ask_reason_line", self.locale, no=no))
        if not reason:
            return

        async def act(manager: Person | None) -> Any:
            return await self.till.void_line(check, no, reason=reason, actor=self.actor,
                                             manager=manager) or True

        if await self.attempt(act, t("pos.till.act.void_line", self.locale)):
            self.say(t("pos.till.line_voided", self.locale, no=no))
            self.show_prompts(check)

    async def do_void_check(self) -> None:
        check = self.check
        if check is None:
            return
        reason = await self.ask(t("pos.till.ask_reason_check", self.locale,
                                  number=check.number))
        if not reason:
            return

        async def act(manager: Person | None) -> Any:
            await self.till.void_check(check, reason=reason, actor=self.actor,
                                       manager=manager)
            return True

        if await self.attempt(act, t("pos.till.act.void_check", self.locale)):
            self.say(t("pos.till.check_voided", self.locale, number=check.number))

    async def do_price(self) -> None:
        check = self.check
        no = self.selected_line()
        if check is None or no is None:
            return
        answer = await self.ask(t("pos.till.ask_price", self.locale, no=no))
        if not answer:
            return
        from kassa_pos.till.payment import parse_money

        try:
            price = parse_money(answer)
        except ValueError:
            price = None
        if price is None:
            self.say(t("pos.till.pay.bad_amount", self.locale, text=answer), error=True)
            return
        reason = await self.ask(t("pos.till.ask_reason_price", self.locale))
        if not reason:
            return

        async def act(manager: Person | None) -> Any:
            await self.till.book.override_price(check, no, price, reason=reason,
                                                actor=self.actor, manager=manager)
            return True

        await self.attempt(act, t("pos.till.act.price", self.locale))

    async def do_discount(self) -> None:
        check = self.check
        if check is None:
            return
        answer = await self.ask(t("pos.till.ask_discount", self.locale))
        if not answer:
            return
        try:
            percent = Decimal(answer.rstrip("%").strip().replace(",", "."))
        except InvalidOperation:
            self.say(t("pos.till.bad_qty", self.locale, text=answer), error=True)
            return

        async def act(manager: Person | None) -> Any:
            await self.till.book.manual_discount(check, percent=percent, actor=self.actor,
                                                 manager=manager)
            return True

        await self.attempt(act, t("pos.till.act.discount", self.locale))
