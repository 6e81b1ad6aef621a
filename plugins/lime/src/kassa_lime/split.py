"""Spreading a check's payments (several cards, several rights of a card) over its lines.

Both functions are exact in kopecks: what goes in comes out, nothing is lost to rounding.
``spread`` fills the lines in order from the payments in order (a waterfall): each line is
paid by as few sources as possible, and a line on the border of two sources gets two
payments. Whatever the sources do not cover is left to the till's other tenders (cash).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def allocate(amount: int, available: Sequence[tuple[K, int]]) -> list[tuple[K, int]]:
    """Take ``amount`` from the buckets in order, each up to what it holds. ``ValueError`` if
    they hold less than ``amount`` (the caller declines before that)."""
    if amount < 0:
        raise ValueError("a negative amount cannot be allocated")
    out: list[tuple[K, int]] = []
    left = amount
    for ref, have in available:
        if left == 0:
            break
        take = min(left, max(have, 0))
        if take:
            out.append((ref, take))
            left -= take
    if left:
        raise ValueError(f"{left} kopecks more than the buckets hold")
    return out


def spread(lines: Sequence[int], sources: Sequence[tuple[K, int]]
           ) -> list[list[tuple[K, int]]]:
    """For each line (its amount, kopecks) the (source, amount) pairs that pay it. Every
    source is used up exactly; a line gets at most its amount. ``ValueError`` when the
    sources pay more than the lines cost, or any amount is negative."""
    if any(a < 0 for a in lines) or any(a < 0 for _, a in sources):
        raise ValueError("amounts must not be negative")
    if sum(a for _, a in sources) > sum(lines):
        raise ValueError("the payments exceed the check")
    out: list[list[tuple[K, int]]] = [[] for _ in lines]
    queue = [(ref, a) for ref, a in sources if a]
    i = 0
    for n, cost in enumerate(lines):
        need = cost
        while need and i < len(queue):
            ref, have = queue[i]
            take = min(need, have)
            out[n].append((ref, take))
            need -= take
            if take == have:
                i += 1
            else:
                queue[i] = (ref, have - take)
    return out


def prorate(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` in parts proportional to ``weights`` (largest remainder: the parts sum to
    ``amount`` exactly). A refund of part of a check goes back over its payments this way."""
    total = sum(weights)
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amounts must not be negative")
    if total == 0:
        if amount:
            raise ValueError("nothing to prorate over")
        return [0] * len(weights)
    if amount > total:
        raise ValueError("more than the weights add up to")
    parts = [amount * w // total for w in weights]
    rest = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts
