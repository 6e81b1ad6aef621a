"""What a loyalty programme answers at the till."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attrs import field, frozen


@frozen
class QuoteLine:
    code: str
    discount: int = 0  # kopecks
    bonus_earn: int = 0
    bonus_spend_max: int = 0


# typed converters (attrs' bare ``tuple`` leaves mypy an unsolved type variable at call sites)
def _lines(lines: Iterable[QuoteLine]) -> tuple[QuoteLine, ...]:
    return tuple(lines)


def _notes(notes: Iterable[str]) -> tuple[str, ...]:
    return tuple(notes)


@frozen
class Quote:
    """What an order gets: discounts, points to earn, the most points that may pay."""

    guest_id: str
    discount: int = 0
    bonus_earn: int = 0
    bonus_spend_max: int = 0
    lines: tuple[QuoteLine, ...] = field(default=(), converter=_lines)
    notes: tuple[str, ...] = field(default=(), converter=_notes)


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
