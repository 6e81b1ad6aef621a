"""The plugin's own values: a Lime card with its rights, a check line, a check to put.

Money is kopecks everywhere here; ``wire`` turns it into Lime's rubles ("150.00") and back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from attrs import field, frozen


@frozen(kw_only=True)
class Right:
    """One account on a card (Lime's "right": a deposit, a bonus), ``amount`` in kopecks,
    ``to`` its expiry (None: no expiry)."""

    id: int
    name: str
    amount: int
    to: datetime | None = None

    def usable(self, at: datetime) -> bool:
        return self.amount > 0 and (self.to is None or at < self.to)


def _rights(rights: Iterable[Right]) -> tuple[Right, ...]:
    return tuple(rights)


@frozen(kw_only=True)
class CardInfo:
    id: int
    uid: str
    holder: str = ""
    rights: tuple[Right, ...] = field(default=(), converter=_rights)

    def right(self, right_id: int) -> Right | None:
        return next((r for r in self.rights if r.id == right_id), None)


@frozen(kw_only=True)
class Source:
    """Who paid part of a check: a right of a card (``right_id`` 0: the till's other tender)."""

    card_id: int = 0
    card_uid: str = ""
    holder: str = ""
    right_id: int = 0
    right_name: str = ""


@frozen(kw_only=True)
class Share:
    source: Source
    amount: int  # kopecks


def _shares(shares: Iterable[Share]) -> tuple[Share, ...]:
    return tuple(shares)


@frozen(kw_only=True)
class Line:
    """A check line as Lime gets it: ``base_price`` before discounts, ``price`` after, per
    unit; ``shares`` say who paid the line's ``total``."""

    name: str
    good_type_id: int
    units: Decimal = field(converter=Decimal)
    base_price: int
    price: int
    shares: tuple[Share, ...] = field(default=(), converter=_shares)
    returns_entry: int | None = None  # a return line: the entry number it gives back

    @property
    def total(self) -> int:
        return int((self.units * self.price).to_integral_value())


def _lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    return tuple(lines)


@frozen(kw_only=True)
class Check:
    """A check to put: ``number`` is Lime's check id (asked once, kept with the check)."""

    number: int
    time: datetime
    lines: tuple[Line, ...] = field(converter=_lines)
    refund: bool = False
    returns_check: int | None = None  # a return check: the check it gives back
