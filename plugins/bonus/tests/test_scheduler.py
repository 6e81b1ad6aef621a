"""A hub started with the plugin runs the scheduled jobs by itself: no cron, no CLI."""

from __future__ import annotations

import json

import anyio
import kassa_bonus
import pytest
from kassa.testing import FakeClock, make_hub
from kassa_bonus.service import service_for

pytestmark = pytest.mark.anyio


async def test_hub_expires_points_and_delivers_webhooks_itself(tmp_path, receiver):
    url, rec = receiver
    config = {"bonus": {"lot_days": 1, "schedule_seconds": 0.05, "webhook_seconds": 0.05,
                        "webhooks": [{"name": "crm", "url": url, "secret": "whsec-123"}]}}
    clock = FakeClock()
    async with make_hub(config, tmp_path, plugins=[kassa_bonus], clock=clock) as hub:
        svc = await service_for(hub)
        g = await svc.register("t", "g", name="Anna")
        acc = await svc.guests.account_of(g.guest, "bonus")
        await svc.ledger.earn("t", "e", acc, 700, expires_at=svc.lot_expiry())
        clock.advance(2 * 86400)
        with anyio.fail_after(10):
            while (await svc.bonus_account(g.guest)).balance:  # noqa: ASYNC110 (polling the store)
                await anyio.sleep(0.05)
            while not any(json.loads(b)["data"].get("kind") == "expire" for _, b in rec.got):  # noqa: ASYNC110
                await anyio.sleep(0.05)
    events = [json.loads(b)["event"] for _, b in rec.got]
    assert "guest_registered" in events and "balance_changed" in events
    assert all(h["x-kassa-signature"].startswith("sha256=") for h, _ in rec.got)
