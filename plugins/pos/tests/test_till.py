"""The Till facade end to end on a running hub: shift, scans, a mixed payment, the check
closed once, X figures, a return by the receipt's QR that needs a manager, the Z; and the
payments a fault left unfinished resumed at start."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import kassa_pos
import pytest
from kassa.errors import RetryLater, UserError
from kassa.model import Measure, VatRate
from kassa.testing import make_hub
from kassa.testing.fakes import FakeRegister, FakeTerminal
from kassa_pos.engine.catalog import Catalog, Item, ItemFlag
from kassa_pos.engine.pay import PayConfig
from kassa_pos.engine.prices import PriceList
from kassa_pos.engine.returns import ReturnLine
from kassa_pos.engine.rights import AccessDenied, Person, Role
from kassa_pos.engine.till import Till
from kassa_pos.engine.values import Tender

from .test_pay import Components

pytestmark = pytest.mark.anyio

CFG = {"sites": [{"code": "s1", "name": "Магазин", "fiscal": "fr1", "terminals": ["card1"]}],
       "stations": [{"code": "till1", "site": "s1"}],
       "pos": {"store": "s1", "tills": [{"name": "till1"}],
               "staff": [{"code": "1", "name": "Анна", "role": "cashier"},
                         {"code": "9", "name": "Олег", "role": "manager",
                          "card": "2000000000099", "pin": "4821"}]}}
ANNA = Person("1", "Анна", Role.CASHIER)
OLEG = Person("9", "Олег", Role.MANAGER)
MILK = Item(code="m1", name="Молоко", vat=VatRate.VAT10, group="dairy",
            barcodes=("4600000000011",))
CHEESE = Item(code="c1", name="Сыр", vat=VatRate.VAT22, unit=Measure.KILOGRAM, plu=101,
              flags=ItemFlag.WEIGHED, group="dairy")
WATER = Item(code="w1", name="Вода", vat=VatRate.VAT22, flags=ItemFlag.MARKING,
             barcodes=("4600000000028",))
PRICES = PriceList(code="base", name="Базовый", prices={"m1": 8990, "c1": 120000,
                                                         "w1": 5000})


class Kit:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.reg = FakeRegister("fr1", path=tmp / "fr.db")
        self.card = FakeTerminal("card1", path=tmp / "c1.db", suspend=True)

    def hub(self):
        return make_hub(CFG, self.tmp, plugins=[kassa_pos, Components([self.reg],
                                                                      [self.card])])

    async def till(self, hub) -> Till:
        catalog = Catalog.of([MILK, CHEESE, WATER], [PRICES], site="s1", clock=hub.clock)
        return await Till.open(hub, "till1", catalog=catalog,
                               config=PayConfig(terminals=("card1",)))


async def test_a_day_at_the_till(tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA, float_=200000)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA, quantity=2)
        await till.add(check, actor=ANNA, plu=101, quantity="0.347")
        assert check.total == 2 * 8990 + 41640
        paid = await till.pay(check, [Tender(kind="card", amount=40000),
                                      Tender(kind="cash", amount=50000)], actor=ANNA)
        assert paid.change == 90000 - 59620 and kit.card.charged() == 40000
        assert till.book.checks("till1") == []
        closed = [e for e in await hub.events(site="s1") if e.kind == "pos_check_closed"]
        assert len(closed) == 1 and closed[0].amount == 59620
        x = await till.x_report(ANNA)
        assert (x.sales, x.sales_total, x.sales_cash) == (1, 59620, 19620)
        assert x.drawer == 200000 + 19620

        check_id = await till.find_sale(qr=paid.document.qr)
        milk = [ReturnLine(line_no=0, quantity=Decimal(1))]
        with pytest.raises(AccessDenied):
            await till.return_by_receipt(check_id, milk, actor=ANNA)
        back = await till.return_by_receipt(check_id, milk, actor=ANNA, manager=OLEG,
                                            return_id="r1")
        assert back.total == 8990 and kit.reg.effects("receipt") == 2
        with pytest.raises(UserError, match="уже возвращено"):
            await till.return_by_receipt(check_id, [ReturnLine(line_no=0, quantity=Decimal(2))],
                                         actor=ANNA, manager=OLEG)
        with pytest.raises(AccessDenied):
            await till.cash_out(ANNA, 1000)
        await till.cash_out(ANNA, 1000, manager=OLEG, op_id="out-1")
        figures, z = await till.close_shift(ANNA)
        assert z.kind == "shift_close" and figures.refunds == 1 and figures.cash_out == 1000
        denied = [e for e in await hub.events(site="s1") if e.kind == "pos_action_denied"]
        assert len(denied) == 2


async def test_an_open_check_blocks_the_z_and_a_held_payment_resumes_at_start(
        tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        with pytest.raises(UserError, match="открытые чеки"):
            await till.close_shift(ANNA)
        kit.reg.paper_out = True
        with pytest.raises(RetryLater):
            await till.pay(check, [Tender(kind="card", amount=8990)], actor=ANNA)
        assert kit.card.charged() == 8990 and kit.reg.effects("receipt") == 0
        other = await till.new_check(ANNA)  # a second guest's payment, then abandoned
        await till.scan(other, "4600000000011", actor=ANNA)
        with pytest.raises(RetryLater):
            await till.pay(other, [Tender(kind="card", amount=8990)], actor=ANNA)
        assert await till.abandon_payment(other, actor=ANNA) == 1
        assert kit.card.charged() == 8990
        await till.book.void_check(other, reason="ушёл", actor=OLEG)
    kit.reg.paper_out = False
    async with kit.hub() as hub:  # the till restarted with paper loaded
        till = await kit.till(hub)
        assert len(till.book.checks("till1")) == 1
        done = await till.resume_payments(ANNA)
        assert len(done) == 1 and kit.reg.effects("receipt") == 1
        # the abandoned one rolled back, the held one purchased once
        assert kit.card.charged() == 8990 and kit.card.effects("purchase") == 2
        assert kit.card.effects("rollback") == 1 and till.book.checks("till1") == []
        await till.close_shift(ANNA)


async def test_a_marking_code_is_checked_before_it_is_sold(tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        code = "0104600000000028215abcdefghijkl\x1d93dGVz"
        kit.reg.marking_valid = False
        with pytest.raises(UserError, match="продавать нельзя: code not in circulation"):
            await till.scan(check, "4600000000028", actor=ANNA, marking_code=code)
        assert check.live == []
        kit.reg.marking_valid = True
        await till.scan(check, "4600000000028", actor=ANNA, marking_code=code)
        paid = await till.pay(check, [Tender(kind="cash", amount=5000)], actor=ANNA)
        assert paid.document.total == 5000 and kit.reg.effects("receipt") == 1
