"""Check arithmetic: any sequence of adds, voids, quantity changes, price overrides and
discounts keeps the totals balanced, no line below zero, the discounts spread to the kopeck,
and the draft pos-pay gets agreeing with the check; plus the input the till refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kassa import codec
from kassa.errors import UserError
from kassa.model import Guest, Measure, Quote, QuoteLine, VatRate
from kassa_pos.engine.catalog import Item, ItemFlag, Lookup
from kassa_pos.engine.check import Body, Check, CheckState
from kassa_pos.engine.discounts import line_base
from kassa_pos.engine.rights import Person, Role
from kassa_pos.engine.values import LineFlag
from kassa_pos.settings import DiscountRule

ANNA = Person("1", "Анна", Role.CASHIER)
EVENING = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
RULES = (
    DiscountRule(name="молочное вечером", kind="group", groups=["dairy"], percent="15",
                 time_from="20:00", time_to="23:00"),
    DiscountRule(name="хлеб 3+", kind="item", items=["b1"], amount=700, min_quantity=3),
    DiscountRule(name="2+1 вода", kind="set", items=["w1"], buy=2, free=1),
    DiscountRule(name="золотым", kind="client", client_groups=["gold"], percent="7"),
)
ITEMS: dict[str, dict[str, Any]] = {
    "m1": dict(item_code="m1", name="Молоко", group="dairy"),
    "b1": dict(item_code="b1", name="Хлеб", group="bakery"),
    "w1": dict(item_code="w1", name="Вода", group="drinks"),
    "s1": dict(item_code="s1", name="Сыр", group="dairy", flags={LineFlag.WEIGHED},
               unit=Measure.KILOGRAM),
    "n1": dict(item_code="n1", name="Сигареты", group="tobacco",
               flags={LineFlag.NO_DISCOUNT}),
}


def new_check(**kw: object) -> Check:
    return Check(site="s1", till="till1", cashier=ANNA, rules=RULES, now=lambda: EVENING,
                 **kw)  # type: ignore[arg-type]


prices = st.integers(min_value=0, max_value=5_000_000)
pieces = st.integers(min_value=1, max_value=50)
weights = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("30"), places=3)
op = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(sorted(ITEMS)), prices, pieces, weights),
    st.tuples(st.just("void"), st.integers(0, 30)),
    st.tuples(st.just("qty"), st.integers(0, 30), pieces, weights),
    st.tuples(st.just("price"), st.integers(0, 30), prices),
    st.tuples(st.just("pct"), st.one_of(st.none(), st.integers(0, 30)),
              st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)),
    st.tuples(st.just("amt"), st.one_of(st.none(), st.integers(0, 30)),
              st.integers(min_value=1, max_value=10_000_000)),
    st.tuples(st.just("unmanual"), st.integers(0, 10)),
    st.tuples(st.just("guest"), st.booleans()),
    st.tuples(st.just("quote"), st.integers(0, 1_000_000), st.integers(0, 500_000)),
)


def apply(c: Check, step: tuple) -> None:  # type: ignore[type-arg]
    kind, *args = step
    live = [ln.no for ln in c.live]

    def pick(i: int) -> int | None:
        return live[i % len(live)] if live else None

    try:
        if kind == "add":
            code, price, n, w = args
            spec = ITEMS[code]
            c.add(price=price, vat=VatRate.VAT20,
                  quantity=w if LineFlag.WEIGHED in spec.get("flags", set()) else n,
                  **spec)
        elif kind == "void" and (no := pick(args[0])) is not None:
            c.void_line(no, "ошибка")
        elif kind == "qty" and (no := pick(args[0])) is not None:
            c.set_quantity(no, args[2] if c.line(no).weighed else args[1])
        elif kind == "price" and (no := pick(args[0])) is not None:
            c.override_price(no, args[1])
        elif kind == "pct":
            c.add_manual(percent=args[1], line=None if args[0] is None else pick(args[0]))
        elif kind == "amt":
            c.add_manual(amount=args[1], line=None if args[0] is None else pick(args[0]))
        elif kind == "unmanual" and c.manual:
            c.remove_manual(c.manual[args[0] % len(c.manual)].id)
        elif kind == "guest":
            c.set_guest(Guest("g1", groups=("gold",)) if args[0] else None)
        elif kind == "quote" and c.guest is not None:
            codes = sorted({ln.item_code for ln in c.live})
            c.set_quote(Quote("g1", discount=args[0], bonus_earn=args[1],
                              lines=[QuoteLine(k, discount=args[0] // 3) for k in codes[:2]]))
    except UserError:
        pass  # refused input changes nothing: checked below by the invariants


def invariants(c: Check) -> None:
    p = c.pricing
    assert list(p.lines) == [ln.no for ln in c.live]
    for ln in c.live:
        lp = p.lines[ln.no]
        assert lp.base == line_base(ln.price, ln.quantity)
        assert 0 <= lp.discount <= lp.base and lp.amount >= 0
        assert all(a.amount > 0 for a in lp.applied)
        if LineFlag.NO_DISCOUNT in ln.flags:
            assert lp.discount == 0
    assert p.subtotal - p.discount == p.total == sum(x.amount for x in p.lines.values())
    assert p.discount == sum(p.by_source(s) for s in ("rule", "manual", "loyalty"))
    assert c.total == p.total
    if c.live:
        draft = c.to_draft()
        assert draft.total == c.total
        for sl in draft.lines:
            assert sl.amount + sl.discount == line_base(sl.price, sl.quantity)
    # the saved form gives the same check
    row = type("Row", (), dict(id=c.id, site=c.site, till=c.till, number=c.number,
                               opened_at=c.opened_at, state=c.state.value,
                               version=c.version, body=c.body()))
    again = Check.from_row(row, rules=RULES, now=lambda: EVENING)
    assert again.lines == c.lines and again.manual == c.manual and again.total == c.total
    # the lines' cached encoding says what encoding the whole check again says
    assert row.body == codec.dumps(Body(  # type: ignore[attr-defined]
        cashier=c.cashier, lines=c.lines, manual=c.manual, guest=c.guest,
        identifier=c.identifier, quote=c.quote, seq=c.seq, next_manual=c.next_manual,
        prompted=sorted(c.prompted)))


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=25))
def test_any_sequence_keeps_the_check_balanced(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    c = new_check()
    for step in steps:
        apply(c, step)
        invariants(c)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(prices, pieces), min_size=1, max_size=12),
       st.integers(min_value=1, max_value=10**9))
def test_a_check_discount_is_spread_to_the_kopeck(lines: list[tuple[int, int]], want: int
                                                  ) -> None:
    c = Check(site="s1", till="t", cashier=ANNA)
    for price, n in lines:
        c.add(item_code="x", name="x", price=price, vat=VatRate.VAT20, quantity=n)
    if not c.subtotal:
        return
    c.add_manual(amount=want)
    assert c.pricing.by_source("manual") == min(want, c.subtotal)
    assert c.total == c.subtotal - min(want, c.subtotal)


def test_the_spread_is_by_largest_remainder_and_deterministic() -> None:
    c = Check(site="s1", till="t", cashier=ANNA)
    for _ in range(3):
        c.add(item_code="x", name="x", price=100, vat=VatRate.VAT20)
    c.add_manual(amount=100)  # 33.33... each: the first line takes the odd kopeck
    assert [c.pricing.lines[n].discount for n in (1, 2, 3)] == [34, 33, 33]
    c2 = Check(site="s1", till="t", cashier=ANNA)
    for price in (100, 200, 700):
        c2.add(item_code="x", name="x", price=price, vat=VatRate.VAT20)
    c2.add_manual(percent="3.33")  # 33.3 kopecks of 1000: 3.33 / 6.66 / 23.31
    assert [c2.pricing.lines[n].discount for n in (1, 2, 3)] == [3, 7, 23]


def test_weighed_and_piece_quantities() -> None:
    c = new_check()
    cheese = Item(code="s1", name="Сыр", vat=VatRate.VAT10, unit=Measure.KILOGRAM,
                  flags=ItemFlag.WEIGHED, group="cheese")
    ln = c.add_lookup(Lookup(item=cheese, price=99900, quantity=Decimal("0.347")))
    assert ln.quantity == Decimal("0.347") and ln.base == 34665  # 346.653 -> 346.65
    assert LineFlag.WEIGHED in ln.flags and ln.unit is Measure.KILOGRAM
    with pytest.raises(UserError, match="тысячных"):
        c.set_quantity(ln.no, "0.3471")
    c.set_quantity(ln.no, "1,5")  # a comma from the keypad
    assert c.line(ln.no).quantity == Decimal("1.500")
    milk = c.add(price=8990, vat=VatRate.VAT10, **ITEMS["m1"])
    with pytest.raises(UserError, match="целыми"):
        c.set_quantity(milk.no, "1.5")
    for bad in ("0", "-1", "abc", "100000"):
        with pytest.raises(UserError):
            c.set_quantity(milk.no, bad)
    priced = c.add_lookup(Lookup(item=cheese, price=None, amount=12345))
    assert (priced.price, priced.quantity) == (12345, Decimal(1))
    with pytest.raises(UserError, match="нет цены"):
        c.add_lookup(Lookup(item=cheese, price=None))


def test_void_keeps_the_line_and_drops_its_discount() -> None:
    c = new_check()
    a = c.add(price=10000, vat=VatRate.VAT20, **ITEMS["b1"])
    c.add_manual(amount=500, line=a.no)
    with pytest.raises(UserError, match="причину"):
        c.void_line(a.no, "  ")
    c.void_line(a.no, "не тот товар")
    assert c.lines[0].voided and c.lines[0].void_reason == "не тот товар"
    assert c.manual == [] and c.total == 0
    with pytest.raises(UserError, match="уже сторнирована"):
        c.void_line(a.no, "ещё раз")
    with pytest.raises(UserError, match="нет товаров"):
        c.to_draft()
    b = c.add(price=100, vat=VatRate.VAT20, **ITEMS["b1"])
    assert b.no == 2  # numbers are never reused
    c.state = CheckState.DEFERRED
    with pytest.raises(UserError, match="не открыт"):
        c.add(price=100, vat=VatRate.VAT20, **ITEMS["b1"])


def test_rules_on_the_check() -> None:
    c = new_check()
    c.add(price=10000, vat=VatRate.VAT10, quantity=1, **ITEMS["m1"])
    bread = c.add(price=5000, vat=VatRate.VAT10, quantity=2,
                  **ITEMS["b1"])
    for _ in range(2):
        c.add(price=6000, vat=VatRate.VAT10, **ITEMS["w1"])
    c.add(price=4000, vat=VatRate.VAT10, **ITEMS["w1"])
    p = c.pricing.lines
    assert p[1].discount == 1500 and p[1].applied[0].name == "молочное вечером"
    assert p[2].discount == 0  # bread below its threshold
    assert [p[n].discount for n in (3, 4, 5)] == [0, 0, 4000]  # the cheapest water free
    c.set_quantity(bread.no, 3)
    assert c.pricing.lines[2].discount == 2100  # 7.00 off each of 3
    c.set_guest(Guest("g1", groups=("gold",)))
    p = c.pricing.lines
    assert p[1].discount == 1500  # 15 % beats the client's 7 %: rules do not stack
    assert p[3].discount == 420 and p[2].discount == 2100  # 7 % of 60.00; 21.00 > 10.50
    c.now = lambda: EVENING.replace(hour=12)
    c.reprice()
    assert c.pricing.lines[1].discount == 700  # out of the window: the client's 7 %


def test_refusals_speak_the_tills_language() -> None:
    c = Check(site="s1", till="t", cashier=ANNA, locale="en")
    with pytest.raises(UserError, match="is sold in whole units"):
        c.add(item_code="x", name="Milk", price=1, vat=VatRate.VAT20, quantity="1.5")
    with pytest.raises(UserError, match=r"^The check is empty"):
        c.to_draft()
