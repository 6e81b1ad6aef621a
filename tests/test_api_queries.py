"""The admin API reads through the event log's and the outbox's own queries."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from kassa import outbox
from kassa.errors import Permanent
from kassa.testing import CaptureChannel, ComponentsPlugin, make_hub

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": "Bearer test-token"}


async def test_counts_chats_messages_detail_and_rate_agree(tmp_path):
    ch = CaptureChannel()
    ch.fail_next(Permanent("bot was kicked"))  # the first send: one dead letter
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])],
                        api=True) as hub:
        now = datetime.now(UTC)
        first = ev(key="a", occurred_at=now)
        await hub.emit(first)
        await hub.emit(ev(key="b", occurred_at=now))
        assert await hub.drain()
        base = f"http://127.0.0.1:{hub.api_port}/api"
        async with httpx.AsyncClient(headers=AUTH) as c:
            totals = (await c.get(f"{base}/outbox")).json()
            chats = {x["chat_id"]: x for x in (await c.get(f"{base}/chats")).json()}
            dead = (await c.get(f"{base}/outbox/messages", params={"status": "dead"})).json()
            detail = (await c.get(f"{base}/events/{first.id}")).json()
            missing = await c.get(f"{base}/events/nope")
            rate = (await c.get(f"{base}/stats/events_per_minute",
                                params={"minutes": 5})).json()
        direct = await outbox.counts(hub.store)
    assert (totals["sent"], totals["dead"], totals["pending"]) == (3, 1, 0)
    assert "by_chat" not in totals and totals["by_channel"]["capture"]["sent"] == 3
    assert sum(c["sent"] + c["dead"] for c in chats.values()) == 4
    assert {k: (v["sent"], v["dead"]) for k, v in direct["by_chat"].items()} == {
        f"capture:{cid}": (c["sent"], c["dead"]) for cid, c in chats.items()}
    assert [m["last_error"] for m in dead] == ["bot was kicked"]
    assert detail["event"]["id"] == first.id and len(detail["messages"]) == 2
    assert [m["id"] for m in detail["messages"]] == sorted(m["id"] for m in detail["messages"])
    assert missing.status_code == 404
    assert sum(rate["minutes"]) == 2 and len(rate["minutes"]) == 5
