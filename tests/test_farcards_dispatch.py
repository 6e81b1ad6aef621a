"""r_keeper's simulated tills calling the bonus programme through the r_keeper plugin's
FarCards door, end to end, loaded the way ``kassa demo`` loads them: entry points,
simulators from ``register_simulators`` (the door's demo fragment among them), their
published endpoints gathered before any starts, their config fragments merged. Neither
plugin imports the other: the door finds the programme through the hub, the till only
speaks the protocol."""

from __future__ import annotations

import os
from typing import Any

import anyio
import pytest
from kassa.demo import DemoSettings, merge, merge_sites, publish_endpoints
from kassa.plugins import Plugins, new_manager
from kassa.testing import make_hub

pytestmark = pytest.mark.anyio


async def wait_events(hub: Any, kind: str, card: str) -> None:
    with anyio.fail_after(10):
        while not any(e.data.get("card") == card  # noqa: ASYNC110 (polling the log)
                      for e in await hub.events(kinds=[kind])):
            await anyio.sleep(0.05)


async def bonus_of(hub: Any, card: str) -> int:
    guest = await hub.loyalty_programs["bonus"].identify(card)
    assert guest is not None
    return int(next(a.balance for a in guest.accounts if a.kind == "bonus"))


async def test_demo_tills_reach_the_bonus_programme_through_the_rkeeper_door(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "bonus,rkeeper")
    monkeypatch.delenv("KASSA_FARCARDS_URL", raising=False)
    plugins = Plugins(new_manager(entry_points=True))
    demo = DemoSettings(sites=["r1"], site_count=1, speed=1.0, seed=3, locale="ru")
    sims = await plugins.simulators(demo)
    publish_endpoints(sims, demo)
    door_sim: Any = next(s for s in sims if s.name == "farcards")
    rkeeper: Any = next(s for s in sims if s.name.startswith("rkeeper:"))
    assert demo.endpoints == {"farcards_url": door_sim.url, "bonus_cards": "7788000-7788999"}
    config: dict[str, Any] = {}
    try:
        for sim in sims:
            config = merge(config, await sim.start())
        assert "KASSA_FARCARDS_URL" not in os.environ  # configuration, not the environment
        assert "farcards" not in config.get("bonus", {})  # the door is r_keeper's now
        async with make_hub(merge_sites(config), tmp_path, entry_points=True, api=True) as hub:
            till = rkeeper.till
            assert till is not None and till.url == door_sim.url
            door = hub.state("rkeeper")["farcards"]
            with anyio.fail_after(10):
                await door.listening.wait()
            assert door.port == door_sim.port != hub.api_port and door.refused == 0
            till.rng.random = lambda: 0.0  # this guest pays with points
            till.cards = ["7788010"]
            check = await till.visit()  # first swipe: issued with the welcome bonus
            assert check is not None and till.posted == 1
            paid = dict(check.pays)[3]
            assert await bonus_of(hub, "7788010") == 30000 - paid + (check.amount - paid) * 5 // 100
            kinds = {e.kind for e in await hub.events(kinds=["payment_held", "payment_captured"])}
            assert kinds == {"payment_held", "payment_captured"}  # through hub.payments
            till.cards = ["1234567"]  # outside the issue range: the programme does not know it
            await till.visit()
            assert "Карта не найдена" in till.refusals
            await wait_events(hub, "loyalty_discount_added", "7788010")
            await wait_events(hub, "loyalty_discount_removed", "1234567")
            assert door.refused == 0 and door.failed == 0
    finally:
        for sim in reversed(sims):
            with anyio.CancelScope(shield=True):
                await sim.stop()
