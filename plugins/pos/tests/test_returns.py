"""Returns: by QR / fiscal number / check number, full and partial, money back the way it
came, never the same units twice (also from two tills at once), and without a receipt."""

from __future__ import annotations

from decimal import Decimal

import anyio
import pytest
from kassa.model import Operation
from kassa_pos.engine.pay import PayConfig, Payments
from kassa_pos.engine.returns import ReturnError, ReturnLine, Returns
from kassa_pos.engine.values import Tender

from .test_pay import CONFIG, Parts, draft, line, ready

pytestmark = pytest.mark.anyio


@pytest.fixture
def parts(tmp_path):
    return Parts(tmp_path)


async def sold(hub, tenders=None, lines=None):
    pay = await ready(hub)
    d = draft(*(lines or (line("A1", 10000, quantity=3), line("B2", 5000))))
    paid = await pay.pay(d, tenders or [Tender(kind="card", amount=d.total,
                                               terminal="card2")])
    return pay, Returns(hub, pay), paid


async def test_find_by_qr_fiscal_number_and_check_number(parts):
    async with parts.hub() as hub:
        _, ret, paid = await sold(hub)
        assert await ret.find(site="s1", qr=paid.document.qr) == "c1"
        assert await ret.find(site="s1", fn=paid.document.fn, fd=paid.document.number) == "c1"
        assert await ret.find(site="s1", till="t1", number=7) == "c1"
        with pytest.raises(ReturnError, match="не найден"):
            await ret.find(site="s1", till="t1", number=8)
        with pytest.raises(ReturnError, match="QR-код чека не читается"):
            await ret.find(site="s1", qr="t=20261202T1200&s=1.00")


async def test_full_return_refunds_the_card_and_prints_a_refund_receipt(parts):
    async with parts.hub() as hub:
        _, ret, _ = await sold(hub)
        done = await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="Петрова")
        assert done.total == 35000 and done.document.operation == Operation.SELL_REFUND
        assert parts.card2.charged() == 0 and parts.card2.effects("refund") == 1
        assert parts.reg.effects("receipt") == 2
        assert [q for _, _, q in await ret.returnable("c1")] == [0, 0]
        again = await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="Петрова")
        assert again.document == done.document and parts.reg.effects("receipt") == 2
        with pytest.raises(ReturnError, match="Нечего возвращать"):
            await ret.by_receipt("c1", None, return_id="r2", till="t1", cashier="Петрова")
        assert "pos_return" in [e.kind for e in await hub.events(site="s1")]


async def test_partial_return_twice_second_refused_and_more_than_sold_refused(parts):
    async with parts.hub() as hub:
        _, ret, _ = await sold(hub)
        two = [ReturnLine(line_no=0, quantity=Decimal(2))]
        first = await ret.by_receipt("c1", two, return_id="r1", till="t1", cashier="П")
        assert first.total == 20000 and parts.card2.charged() == 15000
        with pytest.raises(ReturnError, match=r"продано 3\.000, уже возвращено 2\.000"):
            await ret.by_receipt("c1", two, return_id="r2", till="t1", cashier="П")
        with pytest.raises(ReturnError, match="нельзя вернуть в количестве 5"):
            await ret.by_receipt("c1", [ReturnLine(line_no=1, quantity=Decimal(5))],
                                 return_id="r3", till="t1", cashier="П")
        with pytest.raises(ReturnError, match="нет позиции 9"):
            await ret.by_receipt("c1", [ReturnLine(line_no=8, quantity=Decimal(1))],
                                 return_id="r4", till="t1", cashier="П")
        assert parts.card2.charged() == 15000 and parts.reg.effects("receipt") == 2
        # the last unit and the other line: what is left, to the kopeck
        rest = await ret.by_receipt("c1", None, return_id="r5", till="t1", cashier="П")
        assert rest.total == 15000 and parts.card2.charged() == 0


async def test_two_tills_returning_the_same_line_at_once_one_wins(parts):
    async with parts.hub() as hub:
        _, ret, _ = await sold(hub)
        other = Returns(hub, Payments(hub, CONFIG))
        results: list[object] = []

        async def one(r, rid, till):
            try:
                results.append(await r.by_receipt(
                    "c1", [ReturnLine(line_no=0, quantity=Decimal(3))], return_id=rid,
                    till=till, cashier="П"))
            except ReturnError as exc:
                results.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, ret, "ra", "t1")
            tg.start_soon(one, other, "rb", "t2")
        assert sorted(type(r).__name__ for r in results) == ["ReturnError", "Returned"]
        assert parts.card2.charged() == 5000 and parts.card2.effects("refund") == 1


async def test_mixed_payment_goes_back_the_same_ways_with_bonus_to_the_account(parts):
    async with parts.hub() as hub:
        tenders = [Tender(kind="bonus", amount=3000, account="g1"),
                   Tender(kind="card", amount=20000, terminal="card1"),
                   Tender(kind="cash", amount=20000)]
        _, ret, paid = await sold(hub, tenders)
        assert paid.change == 8000 and await parts.bonus.balance("g1") == 47000
        done = await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="П")
        assert done.total == 32000  # the receipt's total: bonus was a discount
        r = done.refunds
        assert {rf.tender.kind: rf.amount for rf in r} == {"bonus": 3000, "card": 20000,
                                                           "cash": 12000}
        assert await parts.bonus.balance("g1") == 50000 and parts.card1.charged() == 0


async def test_a_line_paid_with_points_only_goes_back_as_points_without_a_receipt(parts):
    # found by the property test: nearly all of a check paid with points, the kopeck of
    # money falls on one line; returning the others gives back points and no money, which
    # is no settlement: no refund receipt, no refund in the cash report, but a return
    async with parts.hub() as hub:
        lines = (line("A1", 10000), line("B2", 5000))
        tenders = [Tender(kind="bonus", amount=14999, account="g1"),
                   Tender(kind="cash", amount=1)]
        _, ret, _ = await sold(hub, tenders, lines)
        a = await ret.by_receipt("c1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                 return_id="r1", till="t1", cashier="П")
        b = await ret.by_receipt("c1", None, return_id="r2", till="t1", cashier="П")
        points = [x for x in (a, b) if x.document is None]
        assert len(points) == 1 and points[0].total == 0
        assert [rf.tender.kind for rf in points[0].refunds] == ["bonus"]
        assert a.total + b.total == 1 and parts.reg.effects("receipt") == 2
        assert await parts.bonus.balance("g1") == 50000
        assert [q for _, _, q in await ret.returnable("c1")] == [0, 0]
        returns = [e for e in await hub.events(site="s1") if e.kind == "pos_return"]
        assert sorted(e.data["fd"] is None for e in returns) == [False, True]
        again = await ret.by_receipt("c1", None, return_id=points[0].key.rsplit(":", 1)[1],
                                     till="t1", cashier="П")
        assert again.document is None and await parts.bonus.balance("g1") == 50000


async def test_a_refused_card_refund_releases_the_reservation(parts):
    async with parts.hub() as hub:
        _, ret, paid = await sold(hub)
        # someone refunded part of it at the pin pad by hand: the bank refuses the rest
        await parts.card2.refund(1000, paid.settlement.cards[0], key="by-hand")
        with pytest.raises(ReturnError, match="Возврат на карту не прошёл") as err:
            await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="П")
        assert err.value.code == "refund_declined"
        assert [q for _, _, q in await ret.returnable("c1")] == [3, 1]
        assert parts.reg.effects("receipt") == 1
        with pytest.raises(ReturnError, match="уже отклонён"):
            await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="П")
        part = await ret.by_receipt("c1", [ReturnLine(line_no=1, quantity=Decimal(1))],
                                    return_id="r2", till="t1", cashier="П")
        assert part.total == 5000 and parts.reg.effects("receipt") == 2


async def test_return_without_receipt_needs_a_manager_and_pays_cash(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        ret = Returns(hub, pay)
        goods = [line("Z9", 7000, quantity=2)]
        with pytest.raises(ReturnError, match="подтверждения менеджера"):
            await ret.without_receipt(goods, site="s1", till="t1", cashier="П",
                                      return_id="w1", confirmed_by=None)
        done = await ret.without_receipt(goods, site="s1", till="t1", cashier="П",
                                         return_id="w1", confirmed_by="Менеджер")
        assert done.total == 14000 and parts.reg.effects("receipt") == 1
        ev = [e for e in await hub.events(site="s1") if e.kind == "pos_return"]
        assert ev and ev[0].manager == "Менеджер"


async def test_refund_receipt_of_a_discounted_line_passes_the_register(parts):
    async with parts.hub() as hub:
        await ready(hub)
        pay = Payments(hub, PayConfig(terminals=("card2",)))
        d = draft(line("A1", 33333, quantity=3, amount=99001))
        await pay.pay(d, [Tender(kind="cash", amount=100000)])
        ret = Returns(hub, pay)
        one = await ret.by_receipt("c1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                   return_id="r1", till="t1", cashier="П")
        rest = await ret.by_receipt("c1", None, return_id="r2", till="t1", cashier="П")
        assert one.total == 33000 and one.total + rest.total == 99001  # to the kopeck
        assert parts.reg.effects("receipt") == 3


async def test_paper_out_at_the_refund_receipt_resumes_with_one_refund(parts):
    from kassa.errors import RetryLater

    async with parts.hub() as hub:
        _, ret, _ = await sold(hub)
        parts.reg.paper_out = True
        with pytest.raises(RetryLater):
            await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="П")
        assert parts.card2.effects("refund") == 1 and parts.reg.effects("receipt") == 1
        parts.reg.paper_out = False
        done = await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="П")
        assert done.total == 35000 and parts.reg.effects("receipt") == 2
        assert parts.card2.effects("refund") == 1 and parts.card2.charged() == 0


async def test_a_refund_receipt_failing_for_good_says_a_correction_is_due(parts):
    async with parts.hub() as hub:
        _, ret, _ = await sold(hub)
        parts.reg.fn_full = True
        with pytest.raises(ReturnError, match="Нужен чек коррекции") as err:
            await ret.by_receipt("c1", None, return_id="r1", till="t1", cashier="П")
        assert err.value.code == "needs_correction"
        assert parts.card2.charged() == 0 and parts.reg.effects("receipt") == 1
        # the units stay returned: the money went back
        assert [q for _, _, q in await ret.returnable("c1")] == [0, 0]


async def test_weighed_goods_return_in_parts_to_the_last_gram(parts):
    """SQLite keeps the returned quantity as a float: 0.021 + 0.050 must still equal the
    0.071 sold, and a part that rounds to 0,00 is refused with nothing reserved."""
    async with parts.hub() as hub:
        _, ret, _ = await sold(hub, tenders=[Tender(kind="cash", amount=2000)],
                               lines=(line("W1", 2900, quantity="0.071"),))
        first = await ret.by_receipt("c1", [ReturnLine(line_no=0, quantity=Decimal("0.021"))],
                                     return_id="r1", till="t1", cashier="П")
        assert first.total == 61
        with pytest.raises(ReturnError, match="0,00"):
            await ret.by_receipt("c1", [ReturnLine(line_no=0, quantity=Decimal("0.0001"))],
                                 return_id="r2", till="t1", cashier="П")
        rest = await ret.by_receipt("c1", None, return_id="r3", till="t1", cashier="П")
        assert rest.total == 205 - 61 and [q for *_, q in await ret.returnable("c1")] == [0]
