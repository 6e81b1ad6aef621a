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
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
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


@hookspec
def register_loyalty_programs(hub: HubAPI) -> Sequence[LoyaltyProgram]:
    """Called at start. Return loyalty programmes. May be async."""
