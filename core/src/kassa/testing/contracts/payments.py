"""``AccountPaymentContract`` and ``CardTerminalContract``: one charge per key, lookups
that find what was done, declines as answers, errors from ``kassa.errors``. The optional
``CheckCapture`` / ``CheckRefund`` cases run when the method has them (skipped otherwise)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from kassa.errors import RetryLater, UserError
from kassa.hookspecs.payments import CheckCapture, CheckRefund
from kassa.model import CardResult, DeviceStatus, OrderLine, PaymentResult, PaymentStatus
from kassa.testing.contracts.base import ComponentContract


class AccountPaymentContract(ComponentContract):
    """Subclass with ``make_method = staticmethod(factory)`` returning a method where
    ``account`` holds at least ``funds`` kopecks (override both if yours differ)."""

    factory: ClassVar[str] = "make_method"
    concern: ClassVar[str] = "payment"
    account = "contract-account"
    funds = 10000

    async def hold(self, m: Any, journal: Any, key: str, amount: int) -> PaymentResult:
        return await self.through(journal, m, "hold", key,
                                  lambda: m.hold(self.account, amount, key=key), PaymentResult,
                                  request={"account": self.account, "amount": amount})

    async def test_same_key_twice_holds_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (m, journal):
            before = await m.balance(self.account)
            first = await self.hold(m, journal, "h1", 1000)
            again = await self.hold(m, journal, "h1", 1000)
            assert first == again and first.status == PaymentStatus.AUTHORIZED
            assert await m.balance(self.account) == before - 1000, "one hold, not two"

    async def test_capture_void_refund_follow_the_hold(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (m, journal):
            before = await m.balance(self.account)
            h = await self.hold(m, journal, "h1", 1000)
            c = await self.through(journal, m, "capture", "c1",
                                   lambda: m.capture(h.id, None, key="c1"), PaymentResult)
            assert c.status == PaymentStatus.CAPTURED and c.amount == 1000
            r = await self.through(journal, m, "refund", "r1",
                                   lambda: m.refund(h.id, 400, key="r1"), PaymentResult)
            assert r.status == PaymentStatus.REFUNDED
            assert await m.balance(self.account) == before - 600
            h2 = await self.hold(m, journal, "h2", 500)
            v = await self.through(journal, m, "void", "v1",
                                   lambda: m.void(h2.id, key="v1"), PaymentResult)
            assert v.status == PaymentStatus.VOIDED
            assert await m.balance(self.account) == before - 600

    async def test_not_enough_is_a_decline_not_an_exception(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (m, journal):
            big = await m.balance(self.account) + 1
            r = await self.hold(m, journal, "h1", big)
            assert r.status == PaymentStatus.DECLINED and r.message

    async def test_lookup_finds_what_was_done_and_none_otherwise(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (m, journal):
            h = await self.hold(m, journal, "h1", 1000)
            found = await m.lookup("h1")
            assert isinstance(found, PaymentResult) and found.id == h.id
            assert await m.lookup("never-sent") is None

    async def test_lost_answer_is_reconciled_without_a_second_hold(self, tmp_path: Path
                                                                    ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            before = await m.balance(self.account)
            self.lose_answer(m)
            with pytest.raises(RetryLater):
                await self.hold(m, journal, "h1", 1000)
            await self.hold(m, journal, "h1", 1000)
            assert await m.balance(self.account) == before - 1000

    async def test_capture_of_an_unknown_hold_is_a_user_error(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (m, _):
            with pytest.raises(UserError):
                await m.capture("no-such-hold", None, key="c1")

    # --- CheckCapture, when the method has it ---------------------------------------------
    def check_lines(self) -> list[OrderLine]:
        """The check ``capture_check`` settles: 1000 + 2 x 500 kopecks (override if your
        method needs known product codes)."""
        return [OrderLine(code="1", name="line 1", quantity=Decimal(1), price=1000,
                          amount=1000),
                OrderLine(code="2", name="line 2", quantity=Decimal(2), price=500,
                          amount=1000)]

    def needs_check_capture(self, m: Any) -> None:
        if not isinstance(m, CheckCapture):
            pytest.skip("the method captures hold by hold (no CheckCapture)")

    async def capture_check(self, m: Any, journal: Any, key: str,
                            captures: list[tuple[str, int]]) -> list[PaymentResult]:
        lines = self.check_lines()
        return await self.through(journal, m, "capture_check", key,
                                  lambda: m.capture_check(lines, captures, key=key),
                                  list[PaymentResult], lookup=m.lookup_check,
                                  request={"lines": lines, "captures": captures})

    async def test_capture_check_takes_every_hold_in_one_effect(self, tmp_path: Path
                                                                ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            self.needs_check_capture(m)
            before = await m.balance(self.account)
            a = await self.hold(m, journal, "ha", 700)
            b = await self.hold(m, journal, "hb", 500)
            effects = await self.effects(m)
            done = await self.capture_check(m, journal, "cc", [(a.id, 700), (b.id, 400)])
            assert [(r.status, r.amount) for r in done] == [
                (PaymentStatus.CAPTURED, 700), (PaymentStatus.CAPTURED, 400)]
            assert await self.effects(m) - effects == 1, "one check, not one per hold"
            again = await self.capture_check(m, journal, "cc", [(a.id, 700), (b.id, 400)])
            assert again == done and await self.effects(m) - effects == 1
            assert await m.lookup_check("cc") == done
            assert await m.lookup_check("never-sent") is None
            assert await m.balance(self.account) == before - 1100, "b's rest is released"

    async def test_capture_check_lost_answer_is_found_not_repeated(self, tmp_path: Path
                                                                  ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            self.needs_check_capture(m)
            a = await self.hold(m, journal, "ha", 600)
            b = await self.hold(m, journal, "hb", 600)
            effects = await self.effects(m)
            self.lose_answer(m)
            with pytest.raises(Exception):  # noqa: B017 (the journal's OutcomeUnknown)
                await self.capture_check(m, journal, "cc", [(a.id, 600), (b.id, 600)])
            done = await self.capture_check(m, journal, "cc", [(a.id, 600), (b.id, 600)])
            assert [r.status for r in done] == [PaymentStatus.CAPTURED] * 2
            assert await self.effects(m) - effects == 1

    async def test_capture_check_of_an_unknown_hold_captures_nothing(self, tmp_path: Path
                                                                    ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            self.needs_check_capture(m)
            a = await self.hold(m, journal, "ha", 600)
            effects = await self.effects(m)
            with pytest.raises(UserError):
                await m.capture_check(self.check_lines(), [(a.id, 600), ("no-such-hold", 1)],
                                      key="cc")
            assert await self.effects(m) == effects, "all or nothing"
            c = await self.through(journal, m, "capture", "c1",
                                   lambda: m.capture(a.id, None, key="c1"), PaymentResult)
            assert c.status == PaymentStatus.CAPTURED, "the good hold is still held"

    # --- CheckRefund, when the method has it ----------------------------------------------
    def needs_check_refund(self, m: Any) -> None:
        if not isinstance(m, CheckRefund):
            pytest.skip("the method refunds hold by hold (no CheckRefund)")

    async def captured_check(self, m: Any, journal: Any, amounts: list[int]
                             ) -> list[PaymentResult]:
        """Holds of ``amounts`` captured in one check (``capture_check`` if the method has
        it, else one capture each)."""
        holds = [await self.hold(m, journal, f"h{i}", a) for i, a in enumerate(amounts)]
        if isinstance(m, CheckCapture):
            return await self.capture_check(m, journal, "cc", [(h.id, h.amount) for h in holds])
        out = []
        for i, h in enumerate(holds):
            out.append(await self.through(journal, m, "capture", f"c{i}",
                                          partial(m.capture, h.id, None, key=f"c{i}"),
                                          PaymentResult))
        return out

    async def refund_check(self, m: Any, journal: Any, key: str,
                           refunds: list[tuple[str, int]]) -> list[PaymentResult]:
        return await self.through(journal, m, "refund_check", key,
                                  lambda: m.refund_check(refunds, key=key),
                                  list[PaymentResult], lookup=m.lookup_check,
                                  request={"refunds": refunds})

    async def test_refund_check_gives_every_hold_back_in_one_effect(self, tmp_path: Path
                                                                   ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            self.needs_check_refund(m)
            before = await m.balance(self.account)
            a, b = await self.captured_check(m, journal, [700, 500])
            effects = await self.effects(m)
            back = [(a.id, 700), (b.id, 200)]  # a whole, b in part
            done = await self.refund_check(m, journal, "rc", back)
            assert [(r.status, r.amount) for r in done] == [
                (PaymentStatus.REFUNDED, 700), (PaymentStatus.REFUNDED, 200)]
            assert await self.effects(m) - effects == 1, "one return, not one per hold"
            again = await self.refund_check(m, journal, "rc", back)
            assert again == done and await self.effects(m) - effects == 1
            assert await m.lookup_check("rc") == done
            assert await m.balance(self.account) == before - 300
            with pytest.raises(UserError):  # b has 300 left to give back
                await m.refund_check([(b.id, 301)], key="rc2")
            rest = await self.refund_check(m, journal, "rc3", [(b.id, 300)])
            assert [r.amount for r in rest] == [300] and await self.effects(m) - effects == 2
            assert await m.balance(self.account) == before

    async def test_refund_check_lost_answer_is_found_not_repeated(self, tmp_path: Path
                                                                 ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            self.needs_check_refund(m)
            a, b = await self.captured_check(m, journal, [600, 400])
            effects = await self.effects(m)
            self.lose_answer(m)
            with pytest.raises(Exception):  # noqa: B017 (the journal's OutcomeUnknown)
                await self.refund_check(m, journal, "rc", [(a.id, 600), (b.id, 400)])
            done = await self.refund_check(m, journal, "rc", [(a.id, 600), (b.id, 400)])
            assert [r.status for r in done] == [PaymentStatus.REFUNDED] * 2
            assert await self.effects(m) - effects == 1, "given back once"

    async def test_refund_check_over_what_is_left_gives_nothing_back(self, tmp_path: Path
                                                                    ) -> None:
        async with self.harness(tmp_path) as (m, journal):
            self.needs_check_refund(m)
            a, b = await self.captured_check(m, journal, [600, 400])
            effects, balance = await self.effects(m), await m.balance(self.account)
            for bad in ([(a.id, 600), (b.id, 401)], [(a.id, 100), ("no-such-hold", 1)]):
                with pytest.raises(UserError):
                    await m.refund_check(bad, key="rc")
            assert await self.effects(m) == effects, "all or nothing"
            assert await m.balance(self.account) == balance
            done = await self.refund_check(m, journal, "rc", [(a.id, 600), (b.id, 400)])
            assert [r.amount for r in done] == [600, 400], "nothing was given back before"


class CardTerminalContract(ComponentContract):
    """Subclass with ``make_terminal = staticmethod(factory)``. ``decline(t)`` makes the
    next purchase be declined by the bank (skipped if the terminal cannot be told)."""

    factory: ClassVar[str] = "make_terminal"
    concern: ClassVar[str] = "payment"
    amount = 15000

    def decline(self, t: Any) -> None:
        if not hasattr(t, "decline_next"):
            pytest.skip("give the suite a decline(terminal) probe")
        t.decline_next.append("Отказ: недостаточно средств")

    async def purchase(self, t: Any, journal: Any, key: str) -> CardResult:
        return await self.through(journal, t, "purchase", key,
                                  lambda: t.purchase(self.amount, key=key), CardResult,
                                  request={"amount": self.amount})

    async def test_same_key_twice_charges_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (t, journal):
            before = await self.effects(t)
            first = await self.purchase(t, journal, "p1")
            again = await self.purchase(t, journal, "p1")
            assert first == again and first.approved and first.rrn
            assert await self.effects(t) - before == 1

    async def test_lookup_finds_what_was_done_and_none_otherwise(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (t, journal):
            p = await self.purchase(t, journal, "p1")
            found = await t.lookup("p1")
            assert isinstance(found, CardResult) and found.rrn == p.rrn
            assert await t.lookup("never-sent") is None

    async def test_lost_answer_is_reconciled_without_a_second_charge(self, tmp_path: Path
                                                                      ) -> None:
        async with self.harness(tmp_path) as (t, journal):
            before = await self.effects(t)
            self.lose_answer(t)
            with pytest.raises(RetryLater):
                await self.purchase(t, journal, "p1")
            p = await self.purchase(t, journal, "p1")
            assert p.approved and await self.effects(t) - before == 1

    async def test_cancelled_mid_call_resolves_to_one_charge(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (t, journal):
            before = await self.effects(t)
            self.slow(t, 1.0)
            with anyio.move_on_after(0.2):
                await self.purchase(t, journal, "p1")
            self.slow(t, 0.0)
            await self.purchase(t, journal, "p1")
            assert await self.effects(t) - before == 1

    async def test_a_decline_is_an_answer_with_the_banks_text(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (t, journal):
            self.decline(t)
            before = await self.effects(t)
            r = await self.purchase(t, journal, "p1")
            assert not r.approved and r.message, "a decline carries the bank's text"
            assert await self.effects(t) == before, "a decline moves no money"

    async def test_cancel_and_refund_refer_to_the_purchase(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (t, journal):
            p = await self.purchase(t, journal, "p1")
            c = await self.through(journal, t, "cancel", "c1",
                                   lambda: t.cancel(p, key="c1"), CardResult)
            assert c.approved and c.amount == p.amount
            p2 = await self.purchase(t, journal, "p2")
            r = await self.through(journal, t, "card_refund", "r1",
                                   lambda: t.refund(100, p2, key="r1"), CardResult)
            assert r.approved and r.amount == 100
            with pytest.raises(UserError):
                await t.refund(p2.amount * 10, p2, key="r2")

    async def test_status_is_typed(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (t, _):
            st = t.status()
            st = await st if hasattr(st, "__await__") else st
            assert isinstance(st, DeviceStatus)
