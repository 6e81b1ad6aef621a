"""``LoyaltyProgramContract``: identify, quote, and postings idempotent on their key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kassa.errors import UserError
from kassa.model import Guest, Order, OrderLine, Posting, Quote
from kassa.testing.contracts.base import ComponentContract


class LoyaltyProgramContract(ComponentContract):
    """Subclass with ``make_program = staticmethod(factory)``; the programme knows the guest
    ``identifier`` (with some balance) and, if ``blocked_identifier`` is set, refuses it.
    A loyalty programme keeps the key with the posting itself, so these tests call it
    directly (no journal): a retry with the key must return the first posting."""

    factory: ClassVar[str] = "make_program"
    concern: ClassVar[str] = "loyalty"
    identifier = "+79990000001"
    blocked_identifier: str | None = None

    def order(self, total: int = 10000, number: str = "1042") -> Order:
        return Order(site="s1", number=number, total=total,
                     lines=(OrderLine(code="1", name="Чай", quantity=Decimal(1), price=total,
                                      amount=total),))

    async def guest(self, p: Any) -> Guest:
        g = await p.identify(self.identifier)
        assert isinstance(g, Guest), f"identify({self.identifier!r}) finds the guest"
        return g

    async def test_identify_a_guest_and_none_for_a_stranger(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, _):
            await self.guest(p)
            assert await p.identify("+70000000000") is None

    async def test_a_blocked_identifier_is_a_user_error(self, tmp_path: Path) -> None:
        if self.blocked_identifier is None:
            pytest.skip("set blocked_identifier to an identifier the programme refuses")
        async with self.harness(tmp_path) as (p, _):
            with pytest.raises(UserError):
                await p.identify(self.blocked_identifier)

    async def test_commit_twice_with_one_key_posts_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, _):
            g = await self.guest(p)
            order = self.order()
            q = await p.quote(order, g)
            assert isinstance(q, Quote) and q.guest_id == g.id
            before = await self.effects(p)
            first = await p.commit(order, q, "post-1")
            again = await p.commit(order, q, "post-1")
            assert isinstance(first, Posting) and first == again
            assert await self.effects(p) - before == 1

    async def test_a_key_reused_with_other_parameters_is_refused(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, _):
            g = await self.guest(p)
            order = self.order()
            q = await p.quote(order, g)
            await p.commit(order, q, "post-1")
            with pytest.raises(UserError):
                await p.commit(self.order(total=20000, number="1043"), q, "post-1")

    async def test_reverse_once_per_key(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, _):
            g = await self.guest(p)
            order = self.order()
            posting = await p.commit(order, await p.quote(order, g), "post-1")
            before = await self.effects(p)
            undo = await p.reverse(posting, "undo-1")
            assert undo == await p.reverse(posting, "undo-1")
            assert await self.effects(p) - before == 1
            assert undo.earned == -posting.earned and undo.spent == -posting.spent
