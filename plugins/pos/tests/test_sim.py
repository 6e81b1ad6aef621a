"""The demo's simulated shop on a hub with the real emulators (ATOL Web Server, sber's
sb_pilot) and the bonus programme: a short day makes its checks through the Till, every paid
check and every return is a receipt in the register's FN, and the risky actions reach the
owners' chat as alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import kassa_atol
import kassa_bonus
import kassa_pos
import kassa_sber
import pytest
from kassa.demo import merge, merge_sites
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, make_hub
from kassa_atol.sim import AtolSimulator
from kassa_bonus.demo import BonusDemo
from kassa_pos.sim import TALLY, Shop, ShopSimulator, simulators
from kassa_pos.sim_settings import ShopSettings

pytestmark = pytest.mark.anyio

SHOPPERS = 24  # voids at 9 and 18, returns at 11 and 22, deferred at 13, drawer 17, void 23,
# points at 5, 10, 15, 20


@attrs.define
class Demo:  # what the demo hands register_simulators (kassa.demo.DemoSettings' fields)
    sites: list[str] = attrs.Factory(lambda: ["r1"])
    shops: list[str] = attrs.Factory(lambda: ["s1"])
    speed: float = 600.0
    seed: int = 3
    locale: str = "ru"
    endpoints: dict[str, str] = attrs.Factory(dict)


def test_no_shop_without_a_shop_site() -> None:
    assert simulators(Demo(shops=[])) == []
    assert [s.name for s in simulators(Demo())] == ["pos"]


async def test_a_short_day_in_the_shop(tmp_path: Path) -> None:
    atol = AtolSimulator("s1", auto_open_shift=True, poll_interval=0.01)
    demo = Demo()
    bonus = BonusDemo(demo)
    demo.endpoints.update(bonus.endpoints)  # as kassa demo publishes them before any start
    shop = ShopSimulator(demo)
    chat = CaptureChannel()
    config: dict[str, Any] = {"chats": [{"channel": "capture", "chat_id": "-100",
                                         "owners": True}]}
    try:
        config = merge(config, await atol.start())
        config = merge(config, await bonus.start())
        config = merge(config, await shop.start())
        cards = config["pos_demo"]["bonus_cards"]
        assert cards == bonus.endpoints["bonus_cards"] and config["sites"][-1]["payments"]
        config["pos_demo"] = {**config["pos_demo"], "enabled": False}  # the test drives it
        assert config["sber"]["terminals"][0]["name"] == "sber-s1"
        plugins = [kassa_atol, kassa_sber, kassa_bonus, kassa_pos,
                   ComponentsPlugin(channels=[chat])]
        async with make_hub(merge_sites(config), tmp_path, plugins=plugins) as hub:
            cfg = ShopSettings(seed=3, items=400, arrival_s=0.01, pace=1000.0,
                               terminal="sber-s1", bonus_cards=cards, shoppers=SHOPPERS)
            tally = TALLY["s1"]  # what the simulator's summary reads
            day = await Shop.open(hub, cfg, tally)
            assert day.packed and day.weighed  # both kinds of goods are on the shelf
            await day.run()

            assert tally.errors == 0 and tally.shoppers == SHOPPERS
            assert tally.checks_voided == 1 and tally.lines_voided >= 1
            assert tally.deferred == tally.resumed == 1 and tally.drawer_opened == 1
            assert tally.checks_paid == SHOPPERS - 1 and tally.returns >= 1
            # every paid check and every return is one receipt in the FN, nothing else
            assert len(tally.receipts) == tally.checks_paid
            assert len(tally.return_receipts) == tally.returns
            assert atol.effects() == tally.checks_paid + tally.returns
            assert tally.by_tender.get("card", 0) >= 1 and tally.by_tender["cash"] >= 1
            assert tally.change_given > 0
            # every fifth shopper swipes a demo card: its welcome bonus pays part of the check
            assert tally.by_tender["bonus"] >= 3 and tally.bonus_spent > 0

            wanted = ("Сторно позиции", "Чек аннулирован", "Возврат товара",
                      "Денежный ящик открыт без продажи")
            await eventually(lambda: all(w in "\n".join(chat.texts()) for w in wanted),
                             hub=hub)
            assert tally.risky >= 4
            texts = "\n".join(chat.texts())
            assert "Отложенный чек" not in texts  # routine: no alert
            got = shop.summary()["s1"]
            assert got["checks"] == got["receipts"] == tally.checks_paid
            assert got["alerts"] == tally.risky and got["returns"] == tally.returns
    finally:
        await shop.stop()
        await atol.stop()

