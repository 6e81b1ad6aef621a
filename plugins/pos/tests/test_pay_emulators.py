"""Paying and returning through the Till on the real emulators: the ATOL Web Server emulator
(paper out, then one receipt) and Sber's sb_pilot emulator (a declined card in the bank's
words, nothing fiscalised; a refund through the terminal that took the money)."""

from __future__ import annotations

from pathlib import Path

import kassa_atol
import kassa_pos
import kassa_sber
import pytest
from kassa.errors import RetryLater
from kassa.testing import make_hub
from kassa_atol.sim import AtolSimulator
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.pay import PayConfig, PayError
from kassa_pos.engine.till import Till
from kassa_pos.engine.values import Tender
from kassa_sber import sim_tape
from kassa_sber.sim import command, emulator_argv

from .test_till import ANNA, MILK, OLEG, PRICES

pytestmark = pytest.mark.anyio


async def test_decline_paper_out_and_a_refund_on_the_emulators(tmp_path: Path) -> None:
    sim = AtolSimulator("s1")
    await sim.start()
    sber = tmp_path / "sber"
    config = {
        "atol": {"registers": [{"name": "atol-s1", "url": sim.url, "poll_interval": 0.01}]},
        "sber": {"terminals": [{"name": "sber-1", "pilot": emulator_argv(),
                                "work_dir": str(sber), "suspend": True}]},
        "sites": [{"code": "s1", "name": "Магазин", "fiscal": "atol-s1",
                   "terminals": ["sber-1"]}],
        "stations": [{"code": "till1", "site": "s1"}],
        "pos": {"store": "s1", "tills": [{"name": "till1"}],
                "staff": [{"code": "1", "name": "Анна", "role": "cashier"},
                          {"code": "9", "name": "Олег", "role": "manager",
                           "card": "2000000000099", "pin": "4821"}]}}
    try:
        async with make_hub(config, tmp_path, plugins=[kassa_atol, kassa_sber,
                                                       kassa_pos]) as hub:
            till = await Till.open(hub, "till1", catalog=Catalog.of(
                [MILK], [PRICES], site="s1", clock=hub.clock),
                config=PayConfig(terminals=("sber-1",)))
            await till.open_shift(ANNA)
            check = await till.new_check(ANNA)
            await till.scan(check, "4600000000011", actor=ANNA, quantity=3)
            card = [Tender(kind="card", amount=26970)]

            assert command(sber, "decline 51 Недостаточно средств").startswith("ok")
            with pytest.raises(PayError, match="Оплата не прошла") as err:
                await till.pay(check, card, actor=ANNA)
            assert "Чек не пробит" in str(err.value)
            assert sim.effects() == 0 and sim_tape.charges(sber) == 0

            sim.faults.paper = False
            with pytest.raises(RetryLater):
                await till.pay(check, card, actor=ANNA)
            assert sim.effects() == 0 and sim_tape.charges(sber) == 1  # held, not lost
            sim.faults.paper = True
            paid = await till.pay(check, card, actor=ANNA)
            assert sim.effects() == 1 and sim_tape.charges(sber) == 1

            sale = await till.find_sale(qr=paid.document.qr)
            back = await till.return_by_receipt(sale, None, actor=ANNA, manager=OLEG)
            assert back.total == 26970 and sim.effects() == 2
            assert [rf.tender.terminal for rf in back.refunds] == ["sber-1"]
    finally:
        await sim.stop()
