"""Price lists: validity boundaries (from inclusive, to exclusive) and the precedence that
engine/prices.py documents, including the per-store window the book caches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kassa_pos.engine.prices import PriceBook, PriceList

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_validity_starts_inclusive_and_ends_exclusive() -> None:
    book = PriceBook.of([
        PriceList(code="base", prices={"milk": 9000}),
        PriceList(code="promo", priority=5, valid_from=T0, valid_to=T0 + DAY,
                  prices={"milk": 7500}),
    ])
    tick = timedelta(microseconds=1)
    assert book.price("milk", "s1", T0 - tick) == 9000
    assert book.price("milk", "s1", T0) == 7500
    assert book.price("milk", "s1", T0 + DAY - tick) == 7500
    assert book.price("milk", "s1", T0 + DAY) == 9000


def test_the_cached_window_follows_the_clock_both_ways() -> None:
    book = PriceBook.of([
        PriceList(code="base", prices={"a": 100}),
        PriceList(code="p1", priority=1, valid_from=T0, valid_to=T0 + 2 * DAY,
                  prices={"a": 90}),
        PriceList(code="p2", priority=2, valid_from=T0 + DAY, prices={"a": 80}),
    ])
    moments = [T0 - DAY, T0, T0 + DAY, T0 + 3 * DAY, T0, T0 - DAY, T0 + DAY]
    assert [book.price("a", "s1", m) for m in moments] == [100, 90, 80, 80, 90, 100, 80]


def test_a_store_list_beats_priority_of_a_list_for_every_store() -> None:
    book = PriceBook.of([
        PriceList(code="all", priority=100, prices={"a": 100}),
        PriceList(code="s2", site="s2", prices={"a": 120}),
    ])
    assert book.price("a", "s1", T0) == 100
    assert book.price("a", "s2", T0) == 120
    assert book.winner("a", "s2", T0).code == "s2"  # type: ignore[union-attr]


def test_priority_then_later_start_then_code() -> None:
    older = PriceList(code="b-old", priority=1, valid_from=T0 - 10 * DAY, prices={"a": 70})
    newer = PriceList(code="a-new", priority=1, valid_from=T0 - DAY, prices={"a": 60})
    high = PriceList(code="z-high", priority=2, prices={"a": 99})
    assert PriceBook.of([older, newer]).price("a", "s1", T0) == 60
    assert PriceBook.of([older, newer, high]).price("a", "s1", T0) == 99
    twin1 = PriceList(code="x1", prices={"a": 1})
    twin2 = PriceList(code="x2", prices={"a": 2})
    # the same rank: the list code decides, whatever order they were loaded in
    assert PriceBook.of([twin2, twin1]).price("a", "s1", T0) == 1
    assert PriceBook.of([twin1, twin2]).price("a", "s1", T0) == 1


def test_an_item_a_list_does_not_price_falls_through_and_none_is_none() -> None:
    book = PriceBook.of([
        PriceList(code="base", prices={"a": 100, "b": 200}),
        PriceList(code="promo", priority=5, prices={"a": 50}),
    ])
    assert book.price("b", "s1", T0) == 200
    assert book.price("c", "s1", T0) is None
    assert book.winner("c", "s1", T0) is None
    assert PriceBook.of([PriceList(code="later", valid_from=T0 + DAY, prices={"a": 1})]
                        ).price("a", "s1", T0) is None


def test_each_store_keeps_its_own_window() -> None:
    book = PriceBook.of([
        PriceList(code="base", prices={"a": 100}),
        PriceList(code="s1-sale", site="s1", valid_from=T0, prices={"a": 80}),
    ])
    assert book.price("a", "s1", T0) == 80
    assert book.price("a", "s2", T0) == 100
    assert book.price("a", "s1", T0 - DAY) == 100
    assert book.price("a", "s2", T0 + DAY) == 100
