"""Payment hooks: ledger accounts (bonus, deposit, credit) and bank card terminals.

``register_payment_methods`` returns ``AccountPayment`` and / or ``CardTerminal`` components.
The core calls them only through ``hub.payments``, which runs every call through the action
journal under its ``key``: a component treats the key as the request's identity (passes it on
when the other side keeps one), never deduplicates on its own, and answers ``lookup(key)``
after a crash or timeout with the earlier call's result, ``None`` if there is no record of it
(nothing happened), or ``RetryLater`` if it cannot tell now.

A method that settles a whole check at once (one document at the far end however many
cards paid it: Lime) may also implement ``CheckCapture``; ``hub.payments.capture_check``
then captures all of a check's holds on it as ONE journal entry, and callers use it when
``hub.payments.captures_checks(method, site=)`` says so. Without it, holds are captured
one by one, as before. Its counterpart for giving money back is ``CheckRefund``
(``hub.payments.refund_check``, asked with ``refunds_checks``): one return document for a
check's cards, one journal entry, whole or partial.

The order at a till: every payment held / approved -> the fiscal receipt -> capture / commit
-> the slip. If the receipt fails for good, holds are voided and card payments rolled back
(suspended) or cancelled.

Error mapping (situation: what the component does -> what the payments service does):

- not enough on the account, unknown or blocked account: returns
  ``PaymentResult(status=DECLINED, message=...)`` -> ``UserError`` with that message;
- the bank declined the card, the cardholder cancelled at the pin pad: returns
  ``CardResult(approved=False, rcode=..., message=<the bank's text>)`` (with the decline slip)
  -> ``UserError`` with the bank's text;
- a request that can never be right (capture more than held, refund more than captured, a
  reused key with other parameters): ``UserError`` -> fails;
- terminal or ledger not reachable before the request was sent: ``RetryLater(after=)`` ->
  retried with the same key;
- no answer after the request was sent: any other exception (a timeout, a broken link; never
  ``RetryLater``, which says nothing happened) -> ``unknown``; ``lookup(key)`` first;
- commit / rollback of a suspended transaction the bank no longer knows (Sber 4140: amount or
  code mismatch), a terminal not configured for the operation: ``Permanent(reason)`` -> fails,
  an alert goes out.
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import CardResult, DeviceStatus, OrderLine, PaymentResult, Reconciliation


@runtime_checkable
class AccountPayment(Protocol):
    """A ledger-like method (bonus points, a deposit, credit): hold, then capture or void.
    Amounts are kopecks; ``account`` is an account id or whatever identifies the guest."""

    name: str

    async def hold(self, account: str, amount: int, key: str) -> PaymentResult:
        """Reserve ``amount``: AUTHORIZED with the hold's ``id``, or DECLINED saying why."""
        ...

    async def capture(self, payment_id: str, amount: int | None, key: str) -> PaymentResult:
        """Take all (``None``) or part of a hold; the rest is released."""
        ...

    async def void(self, payment_id: str, key: str) -> PaymentResult:
        """Release a hold without taking anything."""
        ...

    async def refund(self, payment_id: str, amount: int, key: str) -> PaymentResult:
        """Give back part or all of what a hold captured."""
        ...

    async def balance(self, account: str) -> int:
        """What may be spent now (kopecks): the balance less holds, plus any credit limit."""
        ...

    async def lookup(self, key: str) -> PaymentResult | None:
        """The result of an earlier call with ``key``; ``None`` if nothing happened."""
        ...


@runtime_checkable
class CheckCapture(Protocol):
    """Optional, beside ``AccountPayment``: a method that settles a whole check at once (Lime
    puts one check per sale, however many cards paid it). ``hub.payments.capture_check``
    runs it as ONE journal entry; methods without it are captured hold by hold."""

    async def capture_check(self, lines: Sequence[OrderLine],
                            captures: Sequence[tuple[str, int]], *, key: str
                            ) -> list[PaymentResult]:
        """Capture each ``(payment_id, amount)`` hold in one check of the order's ``lines``
        (what the holds do not cover, the till's other tenders paid): one CAPTURED result
        per capture, in their order; all or nothing."""
        ...

    async def lookup_check(self, key: str) -> list[PaymentResult] | None:
        """The results of an earlier ``capture_check`` with ``key``; ``None`` if nothing
        happened."""
        ...


@runtime_checkable
class CheckRefund(Protocol):
    """Optional, beside ``CheckCapture``: give back several captured holds in ONE return
    document (Lime: one return check referring to the sale's entries, however many cards
    paid it). ``hub.payments.refund_check`` runs it as ONE journal entry; methods without it
    are refunded hold by hold."""

    async def refund_check(self, refunds: Sequence[tuple[str, int]], *, key: str
                           ) -> list[PaymentResult]:
        """Give back ``amount`` of each ``(payment_id, amount)`` captured hold (part or all of
        what it took and was not yet given back) in one return: one REFUNDED result per
        refund, in their order; all or nothing (``UserError`` for an unknown hold or an
        amount over what is left, nothing given back)."""
        ...

    async def lookup_check(self, key: str) -> list[PaymentResult] | None:
        """The results of an earlier ``refund_check`` (or ``capture_check``) with ``key``;
        ``None`` if nothing happened."""
        ...


# The name of one release ago (before the split into accounts and card terminals).
PaymentMethod = AccountPayment


@runtime_checkable
class CardTerminal(Protocol):
    """A bank card terminal (Sber UPOS, Arcus, INPAS...). Amounts are kopecks."""

    name: str

    async def purchase(self, amount: int, key: str,
                       order_ref: str | None = None) -> CardResult:
        """Pay by card. A terminal that can suspend (Sber) returns ``suspended=True``: the
        payment waits for ``commit`` after the receipt, or ``rollback``."""
        ...

    async def cancel(self, original: CardResult, key: str) -> CardResult:
        """Reverse a purchase of today, before reconciliation (by its RRN)."""
        ...

    async def refund(self, amount: int, original: CardResult, key: str) -> CardResult:
        """Return part or all of an earlier purchase."""
        ...

    async def reconcile(self, key: str) -> Reconciliation:
        """Settle the day with the bank (сверка итогов)."""
        ...

    async def commit(self, result: CardResult, key: str) -> CardResult:
        """Make a suspended purchase final (Sber CommitTrx)."""
        ...

    async def rollback(self, result: CardResult, key: str) -> CardResult:
        """Undo a suspended purchase (Sber RollbackTrx)."""
        ...

    async def status(self) -> DeviceStatus:
        """Ask the terminal whether it is ready (Sber TestPinPad)."""
        ...

    async def lookup(self, key: str) -> CardResult | None:
        """The result of an earlier call with ``key``; ``None`` if nothing happened."""
        ...


@hookspec
def register_payment_methods(hub: HubAPI) -> Sequence[AccountPayment | CardTerminal]:
    """Called at start. Return ``AccountPayment`` (bonus, deposit, credit) and / or
    ``CardTerminal`` components. (``PaymentMethod`` is the old name of ``AccountPayment``,
    kept for one release.) May be async; each must satisfy one of the two Protocols."""
