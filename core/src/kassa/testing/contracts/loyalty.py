"""``LoyaltyProgramContract``: identify, quote, and postings idempotent on their key.
``GuestServiceContract``: cards issued, blocked and replaced at a till (the balance moving
with the guest), the questionnaire only with consent, every write once per key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kassa.errors import UserError
from kassa.hookspecs.loyalty import GuestService
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


class GuestServiceContract(ComponentContract):
    """Subclass with ``make_service = staticmethod(factory)``: a loyalty programme that is
    also a ``GuestService`` and accepts the fresh card numbers ``card`` and ``spare``.
    Points are put on a guest by committing an order through the programme itself
    (override ``fund`` if earning needs more), so "the balance moves" is measured in the
    programme's own units."""

    factory: ClassVar[str] = "make_service"
    concern: ClassVar[str] = "loyalty"
    card = "7770000000017"
    spare = "7770000000024"

    async def fund(self, s: Any, guest: Guest) -> None:
        order = Order(site="s1", number="contract-fund", total=100000,
                      lines=(OrderLine(code="1", name="Чай", quantity=Decimal(1),
                                       price=100000, amount=100000),))
        await s.commit(order, await s.quote(order, guest), "contract-fund")

    async def issued(self, s: Any) -> Guest:
        assert isinstance(s, GuestService), "the component implements GuestService"
        g = await s.issue_card(self.card, "issue-1")
        assert isinstance(g, Guest)
        return g

    async def test_issue_a_card_to_a_new_guest_without_personal_data(self, tmp_path: Path
                                                                     ) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            found = await s.identify(self.card)
            assert found is not None and found.id == g.id
            assert (found.name, found.email, found.birthday, found.consent) == \
                ("", None, None, False)

    async def test_a_retry_with_the_same_key_issues_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            again = await s.issue_card(self.card, "issue-1")  # a second issue would refuse
            assert again.id == g.id
            with pytest.raises(UserError):  # the card is taken: another key cannot issue it
                await s.issue_card(self.card, "issue-2")
            with pytest.raises(UserError):  # the key stands for the first request
                await s.issue_card(self.spare, "issue-1")
            assert await s.identify(self.spare) is None

    async def test_the_questionnaire_is_stored_with_consent(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            born = date(1980, 5, 17)
            out = await s.update_guest(g.id, "q-1", consent=True, name="Василий Федорович",
                                       birthday=born, groups=["parents", "pets"])
            found = await s.identify(self.card)
            for seen in (out, found):
                assert seen is not None and seen.consent
                assert (seen.name, seen.birthday) == ("Василий Федорович", born)
                assert set(seen.groups) == {"parents", "pets"}
            edited = await s.update_guest(g.id, "q-2", consent=True, email="v@example.org")
            assert (edited.name, edited.email) == ("Василий Федорович", "v@example.org")
            assert await s.update_guest(g.id, "q-2", consent=True,
                                        email="v@example.org") == edited  # a retry

    async def test_no_personal_data_without_consent(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            with pytest.raises(UserError):
                await s.update_guest(g.id, "q-1", consent=False, name="Василий")
            found = await s.identify(self.card)
            assert found is not None and (found.name, found.consent) == ("", False)

    async def test_withdrawn_consent_erases_the_questionnaire(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            await s.update_guest(g.id, "q-1", consent=True, name="Василий",
                                 birthday=date(1980, 5, 17), groups=["pets"])
            out = await s.update_guest(g.id, "q-2", consent=False)
            assert (out.name, out.birthday, tuple(out.groups), out.consent) == \
                ("", None, (), False)

    async def test_a_blocked_card_is_refused_and_the_balance_stays(self, tmp_path: Path
                                                                   ) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            await self.fund(s, g)
            before = await s.balance(g.id)
            assert before > 0
            blocked = await s.block_card(self.card, "потеряна", "block-1")
            assert blocked.id == g.id
            assert (await s.block_card(self.card, "потеряна", "block-1")).id == g.id
            with pytest.raises(UserError):
                await s.identify(self.card)
            assert await s.balance(g.id) == before

    async def test_replace_moves_the_whole_balance_to_the_new_card(self, tmp_path: Path
                                                                   ) -> None:
        async with self.harness(tmp_path) as (s, _):
            g = await self.issued(s)
            await self.fund(s, g)
            before = await s.balance(g.id)
            assert before > 0
            out = await s.replace_card(self.card, self.spare, "replace-1")
            assert out.id == g.id
            assert (await s.replace_card(self.card, self.spare, "replace-1")).id == g.id
            new = await s.identify(self.spare)
            assert new is not None and new.id == g.id
            assert await s.balance(new.id) == before
            with pytest.raises(UserError):
                await s.identify(self.card)
            with pytest.raises(UserError):  # the retired card cannot be replaced again
                await s.replace_card(self.card, "7770000000031", "replace-2")
