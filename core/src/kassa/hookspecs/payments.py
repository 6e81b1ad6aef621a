"""Payment hooks: methods that authorize, capture, void, refund and tell a balance."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import PaymentResult


@runtime_checkable
class PaymentMethod(Protocol):
    """Every call carries an idempotency key: a replay returns the first result."""

    name: str

    async def authorize(self, account: str, amount: int, key: str) -> PaymentResult: ...
    async def capture(self, payment_id: str, amount: int | None, key: str) -> PaymentResult: ...
    async def void(self, payment_id: str, key: str) -> PaymentResult: ...
    async def refund(self, payment_id: str, amount: int, key: str) -> PaymentResult: ...
    async def balance(self, account: str) -> int: ...


@hookspec
def register_payment_methods(hub: HubAPI) -> Sequence[PaymentMethod]:
    """Called at start. Return payment methods (a bonus account, a deposit, a bank terminal)."""
