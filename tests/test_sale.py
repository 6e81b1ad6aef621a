"""kassa.services.sale.settle: payments -> receipt -> capture/commit -> slips; a receipt
that fails for good gives every payment back; a retry with the key repeats nothing."""

from __future__ import annotations

import pytest
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import Cashier, PaymentKind, ReceiptPayment
from kassa.services.sale import AccountCharge, CardCharge, settle
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt
from kassa.testing.fakes import FakeAccount, FakePrinter, FakeRegister, FakeTerminal

from tests.test_services import Components

pytestmark = pytest.mark.anyio
CFG = {"sites": [{"code": "s1", "fiscal": "fr1", "terminals": ["card1"],
                  "payments": ["bonus"], "printers": ["slips"]}]}


def card_receipt(card: int = 10000, cash: int = 5000):
    r = sample_receipt(card + cash)
    import attrs

    return attrs.evolve(r, payments=[ReceiptPayment(kind=PaymentKind.ELECTRONIC, amount=card),
                                     ReceiptPayment(kind=PaymentKind.CASH, amount=cash)])


@pytest.fixture
def parts():
    return (FakeRegister("fr1"), FakeTerminal("card1", suspend=True),
            FakeAccount("bonus", balances={"g1": 3000}), FakePrinter("slips"))


async def opened(hub, reg):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open", site="s1")


async def test_sale_in_order_and_a_retry_repeats_nothing(tmp_path, parts):
    reg, card, bonus, printer = parts
    async with make_hub(CFG, tmp_path, plugins=[Components([reg], [card, bonus],
                                                           [printer])]) as hub:
        await opened(hub, reg)
        for _ in range(2):
            s = await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                             cards=[CardCharge(10000)], accounts=[AccountCharge("g1", 2000)])
        assert s.document.total == 15000 and s.slips_printed
        assert [c.operation for c in s.cards] == ["commit"]
        assert reg.effects("receipt") == 1 and card.effects("purchase") == 1
        assert card.effects("commit") == 1 and card.charged() == 10000
        assert await bonus.balance("g1") == 1000 and printer.effects() == 1
        assert "ОДОБРЕНО" in printer.paper()


async def test_a_receipt_failing_for_good_gives_the_payments_back(tmp_path, parts):
    reg, card, bonus, printer = parts
    async with make_hub(CFG, tmp_path, plugins=[Components([reg], [card, bonus],
                                                           [printer])]) as hub:
        await opened(hub, reg)
        reg.fn_full = True
        with pytest.raises(Permanent, match="FN"):
            await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                         cards=[CardCharge(10000)], accounts=[AccountCharge("g1", 2000)])
        assert card.effects("rollback") == 1 and card.charged() == 0
        assert await bonus.balance("g1") == 3000 and printer.effects() == 0


async def test_a_card_that_is_not_suspended_is_cancelled(tmp_path, parts):
    reg, _, bonus, printer = parts
    card = FakeTerminal("card1")
    async with make_hub(CFG, tmp_path, plugins=[Components([reg], [card, bonus],
                                                           [printer])]) as hub:
        with pytest.raises(UserError, match="open the shift"):  # nothing fiscalised
            await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                         cards=[CardCharge(10000)])
        assert card.effects("cancel") == 1 and card.charged() == 0


async def test_retry_later_keeps_the_payments_and_the_retry_finishes(tmp_path, parts):
    reg, card, bonus, printer = parts
    async with make_hub(CFG, tmp_path, plugins=[Components([reg], [card, bonus],
                                                           [printer])]) as hub:
        await opened(hub, reg)
        reg.paper_out = True
        with pytest.raises(RetryLater, match="paper"):
            await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                         cards=[CardCharge(10000)])
        assert card.effects("purchase") == 1 and card.effects("rollback") == 0
        reg.paper_out = False
        s = await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                         cards=[CardCharge(10000)])
        assert s.document.total == 15000 and card.effects("purchase") == 1
        assert card.charged() == 10000 and reg.effects("receipt") == 1


async def test_a_declined_card_voids_the_holds_before_it(tmp_path, parts):
    reg, card, bonus, printer = parts
    async with make_hub(CFG, tmp_path, plugins=[Components([reg], [card, bonus],
                                                           [printer])]) as hub:
        await opened(hub, reg)
        card.decline_next.append("Отказ банка")
        with pytest.raises(UserError, match="Отказ банка"):
            await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                         cards=[CardCharge(10000)], accounts=[AccountCharge("g1", 2000)])
        assert await bonus.balance("g1") == 3000 and reg.effects("receipt") == 0


async def test_card_sums_must_match_the_receipt(tmp_path, parts):
    reg, card, bonus, printer = parts
    async with make_hub(CFG, tmp_path, plugins=[Components([reg], [card, bonus],
                                                           [printer])]) as hub:
        with pytest.raises(UserError, match="differ from the card charges"):
            await settle(hub, key="sale-1", site="s1", receipt=card_receipt(),
                         cards=[CardCharge(9000)])
        assert card.effects() == 0 and await hub.journal.entries() == []
