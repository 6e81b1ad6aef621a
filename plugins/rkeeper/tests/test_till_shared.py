"""The simulated till's shared checks and published card ranges: two guests' cards pay one
check in ONE transactionsex (each its share), against a real hub's FarCards door."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import httpx
import pytest
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.sim_till import Till

from .farcards_hub import KEY, farcards_hub

pytestmark = pytest.mark.anyio


async def points(hub: Any, card: str) -> int:
    guest = await hub.loyalty_programs["bonus"].identify(card)
    return int(next(a.balance for a in guest.accounts if a.kind == "bonus"))


def test_the_guests_carry_the_first_cards_of_every_published_range():
    sim = RKeeperSim("r1", rest_code="199990001", notify_url="", farcards_url="http://x")
    till = Till(sim.rest, "http://x", ["1234567"], per_range=3,
                endpoints={"bonus_cards": "7788000-7788999", "lime_cards": "7799000-7799001",
                           "farcards_url": "http://x", "odd_cards": "not a range",
                           "prefix_cards": "77*"})
    assert till.cards == ("1234567", "7788000", "7788001", "7788002", "7799000", "7799001")


async def test_a_shared_check_posts_both_cards_in_one_call(tmp_path, monkeypatch):
    async with farcards_hub(tmp_path) as (hub, url, _):
        sim = RKeeperSim("r1", rest_code="199990001", seed=5, notify_url="",
                         farcards_url=f"{url}/{KEY}", cards=["7788060", "7788061"],
                         start=datetime(2026, 3, 14, 12))
        await sim.start()
        try:
            till = sim.till
            assert till is not None
            sent: list[bytes] = []

            async def record(request: httpx.Request) -> None:
                sent.append(request.content)

            till.client = httpx.AsyncClient(timeout=10, event_hooks={"request": [record]})
            monkeypatch.setattr(till.rng, "random", lambda: 0.0)  # shared, paid by the cards
            check = await till.visit()
            assert check is not None and till.refusals == [] and till.posted == 1
            batch = ET.fromstring(sent[-1].split(b"\n", 1)[1])
            payments = {t.get("Card", ""): int(t.get("Summa") or 0)
                        for t in batch.iter("TransactionsEx") if t.get("Kind") == "0"}
            assert set(payments) == {"7788060", "7788061"}, "both cards in one call"
            holders = [i.get("cardcode", "") for i in batch.iter("ITEM")]
            assert sorted(holders) == ["7788060", "7788061"]
            assert sum(-v for v in payments.values()) == dict(check.pays)[3]
            for card, summa in payments.items():
                assert await points(hub, card) <= 30000 + summa  # each paid its share
            discounts = [t for t in batch.iter("TransactionsEx") if t.get("Kind") == "1"]
            assert len(discounts) == 1, "one card discount on the check"
        finally:
            await sim.stop()
