"""Loyalty hooks: identify a guest, quote an order, commit and reverse postings.

``commit`` and ``reverse`` are idempotent on ``key`` by themselves (a ledger keeps the key
with the posting), so a retry after a crash or a timeout is the reconciliation: the same key
returns the posting made the first time, or makes it now.

Error mapping (situation: what the programme raises -> what the caller does):

- a blocked card, a spend above the balance or the allowed share, a reused key with other
  parameters: ``UserError`` with the reason -> shown at the till, nothing posted;
- the loyalty server not reachable or not answering: ``RetryLater(after=)`` -> retried with
  the same key (``identify`` and ``quote``: the till goes on without loyalty);
- a programme misconfigured for good (unknown rule, revoked credentials): ``Permanent``.

``GuestService`` is optional: a programme that also serves guests at a till (issue a card,
the questionnaire, block and replace a card) implements its members too, and the till finds
it with ``isinstance(program, GuestService)``. Its writes are idempotent on ``key`` in the
same way: a retry returns what the first call did, a key reused for another request is a
``UserError``.
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import Guest, Order, Posting, Quote


@runtime_checkable
class LoyaltyProgram(Protocol):
    name: str

    async def identify(self, identifier: str) -> Guest | None:
        """A phone, card number, QR or barcode -> the guest, or None. Blocked identifiers
        raise ``UserError`` with the reason (the till shows it)."""
        ...

    async def quote(self, order: Order, guest: Guest) -> Quote: ...

    async def commit(self, order: Order, quote: Quote, key: str, spend: int = 0) -> Posting:
        """Post earn/spend/discount for a closed order. Idempotent on ``key``."""
        ...

    async def reverse(self, posting: Posting, key: str) -> Posting:
        """Undo a posting (refund): reverses earned points, restores spent ones, once."""
        ...


@runtime_checkable
class GuestService(Protocol):
    """A loyalty programme's guest service at the till (optional; see the module's doc).

    Personal data (name, e-mail, birthday, the consumer groups the questionnaire's extra
    questions put the guest in) is stored only with the guest's consent, given in the same
    call: ``update_guest(consent=False)`` with any such field is a ``UserError`` and stores
    nothing, and without fields it withdraws consent and erases what was stored."""

    name: str

    async def issue_card(self, card: str, key: str) -> Guest:
        """A new guest holding the card ``card`` (a number printed on plastic or read from
        its barcode), no personal data yet. A card already issued is a ``UserError``."""
        ...

    async def update_guest(self, guest_id: str, key: str, *, consent: bool,
                           name: str | None = None, email: str | None = None,
                           birthday: date | None = None,
                           groups: Sequence[str] | None = None) -> Guest:
        """Enter or edit the questionnaire: a field left ``None`` keeps its value; ``groups``
        replaces the guest's consumer groups. Returns the guest as stored."""
        ...

    async def block_card(self, card: str, reason: str, key: str) -> Guest:
        """Block a lost or stolen card (``identify`` then refuses it with the reason); the
        guest and the balance stay. Returns the card's guest."""
        ...

    async def replace_card(self, old: str, new: str, key: str, reason: str = "replaced",
                           ) -> Guest:
        """Retire ``old`` and give its guest ``new``, in one transaction: the whole balance
        is the new card's at once (``balance`` of the guest before == after)."""
        ...

    async def balance(self, guest_id: str) -> int:
        """The guest's bonus points that can be spent now (hundredths, as ``Quote``)."""
        ...


@hookspec
def register_loyalty_programs(hub: HubAPI) -> Sequence[LoyaltyProgram]:
    """Called at start. Return loyalty programmes (each may also be a ``GuestService``).
    May be async."""
