"""The per-line split of a check's payments across its cards (and cash for the rest): both
sums exact whatever the amounts, no kopeck lost or invented, no share negative."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kassa_rkeeper.farcards.limits import Refused
from kassa_rkeeper.farcards.split import split

amounts = st.lists(st.integers(0, 10**9), min_size=0, max_size=12)


@st.composite
def check_and_cards(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    lines = draw(amounts)
    left, cards = sum(lines), []
    for _ in range(draw(st.integers(0, 5))):
        pay = draw(st.integers(0, left))
        cards.append(pay)
        left -= pay
    return lines, cards


# a timing health check, not a property: on the shared 2-core box one draw stalled 0.99 s
# (a benchmark running beside it) and failed the test with nothing wrong in the split
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(check_and_cards())
def test_every_payer_and_every_line_adds_up_exactly(case: tuple[list[int], list[int]]) -> None:
    lines, cards = case
    shares = split(lines, cards)
    cash = sum(lines) - sum(cards)
    payers = [*cards, cash] if cash else cards
    assert len(shares) == len(payers)
    assert [sum(row) for row in shares] == payers  # what each card (and cash) paid
    for i, amount in enumerate(lines):
        assert sum(row[i] for row in shares) == amount  # each line, to the kopeck
    assert all(x >= 0 for row in shares for x in row)
    assert sum(map(sum, shares)) == sum(lines)


@given(check_and_cards())
def test_shares_stay_within_a_kopeck_of_proportional(case: tuple[list[int], list[int]]) -> None:
    lines, cards = case
    total = sum(lines)
    shares = split(lines, cards)
    for j, pay in enumerate(cards):
        for i, amount in enumerate(lines):
            exact = pay * amount / total if total else 0
            assert abs(shares[j][i] - exact) < len(cards) + len(lines) + 1


def test_a_simple_check_two_cards_and_cash() -> None:
    assert split([40000, 60000], [20000, 30000]) == [[8000, 12000], [12000, 18000],
                                                    [20000, 30000]]
    assert split([1, 1, 1], [1]) == [[1, 0, 0], [0, 1, 1]]


def test_cards_paying_more_than_the_check_or_negative_amounts_are_refused() -> None:
    with pytest.raises(Refused, match="more than the check"):
        split([100], [60, 50])
    with pytest.raises(Refused, match="negative"):
        split([100, -1], [50])
