"""Lime returns (``refund_check``, the core's ``CheckRefund``): one return check for all the
cards of a sale, partial returns that add up to the sale exactly, and a return that cannot
name the sale's Lime entries goes to a person instead of giving back a guessed entry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from kassa.errors import UserError
from kassa.model import OrderLine, PaymentStatus
from kassa_lime.kinds import Kind

from plugins.lime.tests.conftest import CARD_A, CARD_B, lime, rights

pytestmark = pytest.mark.anyio


def line(name: str, code: str, units: int, price: int) -> OrderLine:
    return OrderLine(code=code, name=name, quantity=Decimal(units), price=price,
                     amount=units * price)


LUNCH = [line("Обед", "42", 1, 15000), line("Кофе", "43", 2, 10000),
         line("Прокат", "44", 1, 5000)]  # 40000: the cards 35000, cash 5000


async def test_partial_returns_of_two_cards_add_up_to_the_sale(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, _):
        a = await acc.hold(CARD_A, 20000, key="ha")
        b = await acc.hold(CARD_B, 15000, key="hb")
        await acc.capture_check(LUNCH, [(a.id, 20000), (b.id, 15000)], key="chk")
        sold = next(iter(sim.model.checks.values()))
        parts = [[(a.id, 3333), (b.id, 1)], [(a.id, 6667), (b.id, 7499)],
                 [(a.id, 10000), (b.id, 7500)]]  # odd kopecks: prorating must not drift
        for n, refunds in enumerate(parts):
            done = await acc.refund_check(refunds, key=f"r{n}")
            assert [(r.status, r.amount) for r in done] == [
                (PaymentStatus.REFUNDED, x) for _, x in refunds]
        assert sim.model.put_checks == 1 + len(parts), "one return check per refund_check"
        assert rights(sim, CARD_A)["Депозит"] == 500000
        assert rights(sim, CARD_B)["Депозит"] == 500000
        back = {ln["lime_id"]: ln["returned"] for ln in sold["lines"]}
        assert list(back.values()) == [15000, 20000, 0], "the cash part is not Lime's"
        with pytest.raises(UserError, match="вернуть больше"):
            await acc.refund_check([(a.id, 1)], key="r9")
        assert sim.model.put_checks == 1 + len(parts)


async def test_holds_of_two_sales_are_not_one_return(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, _):
        a = await acc.hold(CARD_A, 5000, key="ha")
        b = await acc.hold(CARD_B, 5000, key="hb")
        await acc.capture(a.id, None, key="ca")
        await acc.capture(b.id, None, key="cb")
        with pytest.raises(UserError, match="одного чека"):
            await acc.refund_check([(a.id, 5000), (b.id, 5000)], key="r")
        assert sim.model.put_checks == 2 and await acc.lookup_check("r") is None


async def test_a_return_whose_sale_ids_are_unknown_goes_to_a_person(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, alerts):
        a = await acc.hold(CARD_A, 15000, key="ha")
        sim.app.drop = 1  # the sale is in Lime, its answer (with the entry ids) lost
        await acc.capture_check(LUNCH[:1], [(a.id, 15000)], key="chk")
        assert await acc.delivery.deliver() == 1  # "check exists": delivered, no ids
        await acc.refund_check([(a.id, 15000)], key="r")
        assert sim.model.put_checks == 1, "no return with a guessed entry id"
        assert all(ln["returned"] == 0 for ln in sim.model.entries.values())
        assert Kind.CHECK_REFUSED in alerts.kinds()
        text = next(x for k, x, _ in alerts if k == Kind.CHECK_REFUSED)
        assert "вручную" in text
        assert not acc.store.pending(), "not retried for ever: a person makes the return"
