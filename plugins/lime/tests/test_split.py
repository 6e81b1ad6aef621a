"""The per-line split: every payment used up exactly, no line overpaid, no kopeck lost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kassa_lime import split

amounts = st.lists(st.integers(min_value=0, max_value=10**9), min_size=0, max_size=30)


@st.composite
def check_and_payments(draw: st.DrawFn) -> tuple[list[int], list[tuple[str, int]]]:
    lines = draw(st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=30))
    total = sum(lines)
    paid = draw(st.integers(min_value=0, max_value=total))
    n = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=paid),
                                min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, paid]
    return lines, [(f"card{i}", bounds[i + 1] - bounds[i]) for i in range(n)]


@given(check_and_payments())
def test_spread_keeps_every_kopeck(case: tuple[list[int], list[tuple[str, int]]]) -> None:
    lines, sources = case
    out = split.spread(lines, sources)
    assert len(out) == len(lines)
    for cost, paid in zip(lines, out, strict=True):
        assert sum(a for _, a in paid) <= cost
        assert all(a > 0 for _, a in paid)
    for ref, amount in sources:
        assert sum(a for paid in out for r, a in paid if r == ref) == amount
    assert sum(a for paid in out for _, a in paid) == sum(a for _, a in sources)


@given(check_and_payments())
def test_a_fully_paid_check_pays_every_line_in_full(
        case: tuple[list[int], list[tuple[str, int]]]) -> None:
    lines, _ = case
    sources = [("a", sum(lines) // 2), ("b", sum(lines) - sum(lines) // 2)]
    out = split.spread(lines, sources)
    assert [sum(a for _, a in paid) for paid in out] == lines


def test_a_line_on_the_border_of_two_cards_has_two_payments() -> None:
    out = split.spread([15000, 20000], [("a", 20000), ("b", 15000)])
    assert out == [[("a", 15000)], [("a", 5000), ("b", 15000)]]


def test_payments_above_the_check_are_refused() -> None:
    with pytest.raises(ValueError):
        split.spread([100], [("a", 101)])


@given(st.integers(min_value=0, max_value=10**9), st.lists(
    st.integers(min_value=0, max_value=10**9), min_size=1, max_size=10))
def test_allocate_takes_exactly_or_refuses(amount: int, buckets: list[int]) -> None:
    pairs = list(enumerate(buckets))
    if amount > sum(buckets):
        with pytest.raises(ValueError):
            split.allocate(amount, pairs)
        return
    out = split.allocate(amount, pairs)
    assert sum(a for _, a in out) == amount
    assert all(0 < a <= buckets[i] for i, a in out)


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=20),
       st.data())
def test_prorate_sums_exactly_and_stays_under_each_weight(weights: list[int],
                                                          data: st.DataObject) -> None:
    amount = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    parts = split.prorate(amount, weights)
    assert sum(parts) == amount
    assert all(0 <= p <= w for p, w in zip(parts, weights, strict=True))
