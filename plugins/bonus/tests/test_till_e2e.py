"""r_keeper's simulated tills calling this loyalty engine over FarCards-HTTP, end to end.

Both plugins are loaded the way ``kassa demo`` loads them (entry points, simulators from the
``register_simulators`` hook, their published endpoints gathered into the demo settings, their
config fragments merged): the bonus plugin never imports the r_keeper one, the till only
speaks the protocol.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
import pytest
from kassa.demo import DemoSettings, merge, merge_sites, publish_endpoints
from kassa.plugins import Plugins, new_manager
from kassa.testing import make_hub
from kassa_bonus import schema
from kassa_bonus.demo import BonusDemo
from kassa_bonus.service import service_for
from sqlalchemy import select

pytestmark = pytest.mark.anyio


async def wait_events(hub, kind: str, card: str) -> None:
    with anyio.fail_after(10):
        while not any(e.data.get("card") == card  # noqa: ASYNC110 (polling the log)
                      for e in await hub.events(kinds=[kind])):
            await anyio.sleep(0.05)


async def test_rkeeper_tills_apply_cards_and_post_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "bonus,rkeeper")
    monkeypatch.delenv("KASSA_FARCARDS_URL", raising=False)
    plugins = Plugins(new_manager(entry_points=True))
    demo = DemoSettings(sites=["r1"], site_count=1, speed=1.0, seed=3, locale="ru")
    sims = await plugins.simulators(demo)
    publish_endpoints(sims, demo)
    farcards = next(s for s in sims if s.name == "bonus")
    assert isinstance(farcards, BonusDemo)
    # r_keeper's simulator is known here only by its name: its till is whatever it publishes
    rkeeper: Any = next(s for s in sims if s.name.startswith("rkeeper:"))
    assert demo.endpoints == {"farcards_url": farcards.url}
    config: dict[str, Any] = {}
    try:
        # the tills start first: what the loyalty engine published is there already
        for sim in sorted(sims, key=lambda s: s.name == "bonus"):
            config = merge(config, await sim.start())
        assert "KASSA_FARCARDS_URL" not in os.environ  # configuration, not the environment
        async with make_hub(merge_sites(config), tmp_path, entry_points=True, api=True) as hub:
            till = rkeeper.till
            assert till is not None and till.url == farcards.url
            door = hub.state("bonus")["door"]  # the till door, not the admin API
            with anyio.fail_after(10):
                await door.listening.wait()
            assert door.port == farcards.port != hub.api_port
            assert farcards.key in till.url and door.refused == 0
            till.rng.random = lambda: 0.0  # this guest pays with points
            till.cards = ["7788010"]
            check = await till.visit()  # first swipe: issued, welcome bonus, then the check
            svc = await service_for(hub)
            guest = await svc.identify("7788010")
            assert guest is not None
            async with svc.store.read() as conn:
                posted = {p.kind: p.amount for p in await conn.execute(
                    select(schema.posting).where(schema.posting.c.guest_id == guest.id,
                                                 schema.posting.c.order_ref.like(
                                                     f"%/{check.checknum}")))}
            paid = dict(check.pays)[3]
            assert posted == {"spend": paid, "earn": (check.amount - paid) * 5 // 100}
            assert till.posted >= 1 and "Карта не найдена" not in till.refusals

            await svc.register("test", "blocked", name="Анна", card="7788020")
            await svc.guests.block("test", "b", "card", "7788020", "утеряна")
            for card in ("1234567", "7788020"):
                till.cards = [card]
                await till.visit()
            assert "Карта не найдена" in till.refusals
            assert "Карта заблокирована: утеряна" in till.refusals
            await wait_events(hub, "loyalty_discount_added", "7788010")
            await wait_events(hub, "loyalty_discount_removed", "1234567")
            await wait_events(hub, "loyalty_discount_removed", "7788020")
            assert door.refused == 0  # every call of the demo's tills carried their key
    finally:
        for sim in reversed(sims):
            with anyio.CancelScope(shield=True):
                await sim.stop()
