"""What a ledger or guest operation answered: stored once, returned again on every replay."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import field, frozen


def _ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(ids)  # typed: attrs' bare ``tuple`` converter leaves mypy a type variable


@frozen
class Outcome:
    operation: str  # operation id; a loyalty Posting.id and a PaymentResult.id point here
    kind: str  # earn | spend | hold | capture | void | reverse | refund | topup | expire | guest...
    status: str  # posted | authorized | captured | voided | expired | reversed | refunded | done
    account: str = ""
    amount: int = 0
    guest: str = ""
    postings: tuple[str, ...] = field(default=(), converter=_ids)
    hold: str | None = None
    balance: int | None = None  # the account's posted balance right after the operation
    detail: dict[str, Any] = field(factory=dict)
    at: datetime | None = None  # when it was first done
