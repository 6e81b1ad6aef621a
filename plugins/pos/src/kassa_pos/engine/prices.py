"""Price lists with validity, per store, and the price of an item at a moment.

Precedence (the first list that prices the item wins), among the lists valid at the moment
(``valid_from <= at < valid_to``, either end open when ``None``) for the store:

1. a list for this store before a list for every store (``site`` ``None``);
2. then the higher ``priority``;
3. then the later ``valid_from`` (a promotion that started later overrides an older one; an
   open start counts as the earliest);
4. then the list code, so the answer never depends on load order.

The order of the valid lists only changes at a list's start or end, so ``PriceBook`` keeps
it per store until the next such boundary: a price is one dict look-up per list on the path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from attrs import define, field, frozen


def _prices(value: Mapping[str, int]) -> dict[str, int]:
    return dict(value)


@frozen(kw_only=True)
class PriceList:
    """``prices``: item code -> kopecks per unit (per kg for weighed goods)."""

    code: str
    name: str = ""
    site: str | None = None  # None: every store
    priority: int = 0
    valid_from: datetime | None = None  # inclusive, timezone-aware
    valid_to: datetime | None = None  # exclusive
    prices: dict[str, int] = field(factory=dict, converter=_prices, eq=False, hash=False)

    def valid_at(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_to is None or at < self.valid_to)

    def applies_to(self, site: str) -> bool:
        return self.site is None or self.site == site


def _rank(p: PriceList) -> tuple[int, int, float, str]:
    start = p.valid_from.timestamp() if p.valid_from is not None else float("-inf")
    return (0 if p.site is not None else 1, -p.priority, -start, p.code)


@define
class _Window:
    lists: list[dict[str, int]]
    since: datetime | None  # the window holds for since <= at < until
    until: datetime | None


@define
class PriceBook:
    """Every price list, in memory. ``price(item, site, at)`` never touches the store."""

    lists: list[PriceList] = field(factory=list)
    _windows: dict[str, _Window] = field(factory=dict, init=False)

    @classmethod
    def of(cls, lists: Iterable[PriceList]) -> PriceBook:
        return cls(sorted(lists, key=_rank))

    def price(self, item_code: str, site: str, at: datetime) -> int | None:
        """Kopecks per unit for the item at the store at ``at``; ``None`` when no valid list
        prices it."""
        w = self._windows.get(site)
        if w is None or (w.since is not None and at < w.since) or (
                w.until is not None and at >= w.until):
            w = self._windows[site] = self._window(site, at)
        for prices in w.lists:
            p = prices.get(item_code)
            if p is not None:
                return p
        return None

    def winner(self, item_code: str, site: str, at: datetime) -> PriceList | None:
        """The list whose price applies (for the till's "why this price" and audits)."""
        for p in self.lists:
            if p.applies_to(site) and p.valid_at(at) and item_code in p.prices:
                return p
        return None

    def _window(self, site: str, at: datetime) -> _Window:
        since: datetime | None = None
        until: datetime | None = None
        valid: list[dict[str, int]] = []
        for p in self.lists:  # already in precedence order
            if not p.applies_to(site):
                continue
            for edge in (p.valid_from, p.valid_to):
                if edge is None:
                    continue
                if edge <= at and (since is None or edge > since):
                    since = edge
                if edge > at and (until is None or edge < until):
                    until = edge
            if p.valid_at(at):
                valid.append(p.prices)
        return _Window(valid, since, until)
