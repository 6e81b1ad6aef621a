"""Discount rules and the largest-remainder split, apart from the check."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kassa.model import Quote, QuoteLine
from kassa_pos.engine.discounts import Basis, Manual, allocate, in_window, percent_of, price
from kassa_pos.settings import DiscountRule


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=20), st.data())
def test_allocate_sums_exactly_and_never_exceeds_a_line(weights: list[int],
                                                        data: st.DataObject) -> None:
    total = data.draw(st.integers(0, sum(weights)))
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))
    assert shares == allocate(total, weights)  # deterministic
    whole = sum(weights)
    if whole:  # each share is within a kopeck of its exact part
        assert all(abs(s * whole - total * w) < whole for s, w in zip(shares, weights,
                                                                       strict=True))


def test_allocate_refuses_more_than_there_is() -> None:
    with pytest.raises(ValueError):
        allocate(11, [5, 5])
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]  # a tie: the earlier line
    assert allocate(2, [1, 3]) == [1, 1]  # 0.5 / 1.5: equal remainders, the earlier line
    assert allocate(5, [0, 10, 0]) == [0, 5, 0]


def test_time_windows_and_days() -> None:
    night = DiscountRule(name="n", kind="check", percent="5", time_from="22:00",
                         time_to="06:00", days=[5, 6])
    fri = datetime(2026, 12, 4)  # a Friday
    assert in_window(night, fri.replace(hour=23))
    assert in_window(night, fri.replace(hour=5, minute=59))
    assert not in_window(night, fri.replace(hour=6))
    assert not in_window(night, fri.replace(day=3, hour=23))  # Thursday
    day = DiscountRule(name="d", kind="check", percent="5", time_from="10:00",
                       time_to="12:00")
    assert in_window(day, fri.replace(hour=10)) and not in_window(day, fri.replace(hour=12))


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="percent or amount"):
        DiscountRule(name="x", kind="check")
    with pytest.raises(ValueError, match="not both"):
        DiscountRule(name="x", kind="check", percent="1", amount=1)
    with pytest.raises(ValueError, match="buy"):
        DiscountRule(name="x", kind="set", items=["a"])
    with pytest.raises(ValueError, match="HH:MM"):
        DiscountRule(name="x", kind="check", percent="1", time_from="25:00", time_to="1:00")
    with pytest.raises(ValueError):
        DiscountRule(name="x", kind="check", percent="101")


def test_sets_count_units_across_lines_and_free_the_cheapest() -> None:
    rule = DiscountRule(name="3 за 2", kind="set", groups=["tea"], buy=2, free=1)
    lines = [Basis(1, "a", "tea", 30000, Decimal(2)), Basis(2, "b", "tea", 25000, Decimal(1)),
             Basis(3, "c", "tea", 10000, Decimal(4)), Basis(4, "d", "coffee", 100, Decimal(9)),
             Basis(5, "e", "tea", 99, Decimal("0.5"), piece=False)]
    p = price(lines, rules=[rule], now=datetime(2026, 1, 1))
    # 7 tea units -> 2 free, both of the cheapest (100.00); weighed goods do not count
    assert [p.lines[n].discount for n in (1, 2, 3, 4, 5)] == [0, 0, 20000, 0, 0]


def test_manual_on_top_of_rules_and_the_quote_last() -> None:
    rule = DiscountRule(name="r", kind="item", items=["a"], percent="10")
    lines = [Basis(1, "a", "g", 10000, Decimal(1)), Basis(2, "b", "g", 5001, Decimal(1)),
             Basis(3, "c", "g", 2000, Decimal(1), discountable=False)]
    quote = Quote("g1", discount=1000, bonus_earn=50, bonus_spend_max=700,
                  lines=[QuoteLine("b", discount=300)])
    p = price(lines, rules=[rule], now=datetime(2026, 1, 1),
              manual=[Manual(1, percent=Decimal(10), reason="пенсионер")], quote=quote)
    # the rule's 10.00; 10 % of 140.01 = 14.00 split 9000:5001 (8.99 + 5.00, the odd kopeck
    # to line 1's larger remainder); the quote's 3.00 on item b and its other 7.00 split
    # 8100:4201 (4.60 + 2.39, again one kopeck to line 1)
    assert p.lines[1].discount == 1000 + 900 + 461
    assert p.lines[2].discount == 500 + 300 + 239
    assert p.lines[3].discount == 0
    assert p.by_source("loyalty") == 1000 and p.by_source("manual") == 900 + 500
    assert (p.bonus_earn, p.bonus_spend_max) == (50, 700)


def test_percent_of_is_not_rounded_down_under_a_limit() -> None:
    assert percent_of(1001, 10000) > Decimal(10)
    assert percent_of(1000, 10000) == Decimal(10)
