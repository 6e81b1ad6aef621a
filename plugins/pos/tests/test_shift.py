"""The till's shift: open / close through the register (Z at close), cash in and out, and
X figures from the engine's own records that agree with what was sold and returned."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kassa.errors import RetryLater
from kassa_pos.engine.pay import Payments
from kassa_pos.engine.returns import ReturnLine, Returns
from kassa_pos.engine.shift import ShiftError, Shifts
from kassa_pos.engine.values import Tender

from .test_pay import CONFIG, Parts, draft, line

pytestmark = pytest.mark.anyio


@pytest.fixture
def parts(tmp_path):
    return Parts(tmp_path)


async def test_a_shift_from_open_to_z_with_figures_that_add_up(parts):
    async with parts.hub() as hub:
        shifts = Shifts(hub)
        with pytest.raises(ShiftError, match="Смена не открыта"):
            await shifts.x_report(site="s1", till="t1")
        doc = await shifts.open(site="s1", till="t1", cashier="Иванова", float_=100000)
        assert doc is not None and doc.shift == 1 and parts.reg.effects("shift_open") == 1
        with pytest.raises(ShiftError, match="уже открыта"):
            await shifts.open(site="s1", till="t1", cashier="Иванова")
        pay = Payments(hub, CONFIG)
        await pay.pay(draft(line("A1", 15000), check_id="c1"),
                      [Tender(kind="cash", amount=20000)])
        await pay.pay(draft(line("A1", 15000, quantity=2), check_id="c2"),
                      [Tender(kind="card", amount=10000, terminal="card2"),
                       Tender(kind="cash", amount=20000)])
        await Returns(hub, pay).by_receipt("c1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                           return_id="r1", till="t1", cashier="Иванова")
        await shifts.cash_in(site="s1", till="t1", amount=5000, cashier="Иванова", op_id="1")
        await shifts.cash_out(site="s1", till="t1", amount=30000, cashier="Иванова",
                              op_id="2")
        with pytest.raises(ShiftError, match="изъять"):
            await shifts.cash_out(site="s1", till="t1", amount=10**7, cashier="Иванова",
                                  op_id="3")
        x = await shifts.x_report(site="s1", till="t1")
        assert (x.sales, x.sales_total, x.sales_cash, x.sales_non_cash) == (2, 45000, 35000,
                                                                             10000)
        assert (x.refunds, x.refunds_total, x.refunds_cash) == (1, 15000, 15000)
        assert (x.float_, x.cash_in, x.cash_out) == (100000, 5000, 30000)
        assert x.drawer == 100000 + 35000 - 15000 + 5000 - 30000 and x.revenue == 30000
        figures, z = await shifts.close(site="s1", till="t1", cashier="Иванова")
        assert figures == x and z.kind == "shift_close" and parts.reg.effects("shift_close") == 1
        assert await shifts.current("s1", "t1") is None
        kinds = [e.kind for e in await hub.events(site="s1")]
        for k in ("pos_shift_opened", "pos_cash_in", "pos_cash_out", "pos_shift_closed"):
            assert k in kinds
        again = await shifts.open(site="s1", till="t1", cashier="Петрова")
        assert again is not None and again.shift == 2
        assert (await shifts.x_report(site="s1", till="t1")).sales == 0


async def test_paper_out_at_close_retries_to_one_z(parts):
    async with parts.hub() as hub:
        shifts = Shifts(hub)
        await shifts.open(site="s1", till="t1", cashier="Иванова")
        parts.reg.paper_out = True
        with pytest.raises(RetryLater):
            await shifts.close(site="s1", till="t1", cashier="Иванова")
        assert await shifts.current("s1", "t1") == 1
        parts.reg.paper_out = False
        await shifts.close(site="s1", till="t1", cashier="Иванова")
        assert parts.reg.effects("shift_close") == 1


async def test_a_second_till_on_the_same_register_opens_on_its_shift(parts):
    async with parts.hub() as hub:
        shifts = Shifts(hub)
        await shifts.open(site="s1", till="t1", cashier="Иванова")
        assert await shifts.open(site="s1", till="t2", cashier="Петрова") is None
        assert parts.reg.effects("shift_open") == 1 and await shifts.current("s1", "t2") == 1
        with pytest.raises(ShiftError, match="больше нуля"):
            await shifts.cash_in(site="s1", till="t2", amount=0, cashier="П", op_id="x")
