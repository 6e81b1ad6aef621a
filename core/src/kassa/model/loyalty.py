"""What a loyalty programme answers at the till."""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen


@frozen
class QuoteLine:
    code: str
    discount: int = 0  # kopecks
    bonus_earn: int = 0
    bonus_spend_max: int = 0


@frozen
class Quote:
    """What an order gets: discounts, points to earn, the most points that may pay."""

    guest_id: str
    discount: int = 0
    bonus_earn: int = 0
    bonus_spend_max: int = 0
    lines: tuple[QuoteLine, ...] = field(default=(), converter=tuple)
    notes: tuple[str, ...] = field(default=(), converter=tuple)


@frozen
class Posting:
    """A committed ledger posting. ``key`` is the client's idempotency key."""

    id: str
    key: str
    guest_id: str
    earned: int = 0
    spent: int = 0
    discount: int = 0
    created_at: datetime | None = None
    reversed_by: str | None = None
