"""The plugin inside the real core hub (kassa.testing.make_hub): settings from a config dict,
startup on the hub's engine, hooks wired, REST and FarCards routes on the hub's HTTP server."""

from __future__ import annotations

import httpx
import kassa_bonus
import pytest
from kassa.testing import make_hub
from kassa_bonus.till import FarCardsTill

pytestmark = pytest.mark.anyio


async def test_bonus_in_the_real_hub(tmp_path):
    config = {"bonus": {"welcome_bonus": 10000,
                        "api_keys": [{"name": "site", "key": "k-123456", "scopes": ["admin"]}]}}
    async with make_hub(config, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        program = hub.loyalty_programs["bonus"]
        assert set(hub.payment_methods) >= {"bonus", "deposit"}
        base = f"http://127.0.0.1:{hub.api_port}"
        async with httpx.AsyncClient(base_url=base) as c:
            r = await c.post("/api/bonus/v1/guests", json={"name": "Anna", "card": "4455"},
                             headers={"X-Api-Key": "k-123456", "Idempotency-Key": "g1"})
            assert r.status_code == 201, r.text
        guest = await program.identify("4455")
        assert guest.accounts and next(a for a in guest.accounts
                                       if a.kind == "bonus").balance == 10000
        till = FarCardsTill(base)
        info = await till.card_info(4455)
        await till.aclose()
        assert (info.result, info.summa) == (0, 10000)
