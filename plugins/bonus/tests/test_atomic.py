"""An operation and what it causes commit together: a crash between the posting and the
commit leaves neither the posting nor its webhook row (the real hub's transaction)."""

from __future__ import annotations

import kassa_bonus
import pytest
from kassa.testing import make_hub
from kassa_bonus import schema
from kassa_bonus.service import service_for
from sqlalchemy import func, select

pytestmark = pytest.mark.anyio


async def counts(conn, account: str) -> tuple[int, int]:
    posted = (await conn.execute(select(func.count()).select_from(schema.posting).where(
        schema.posting.c.account_id == account))).scalar_one()
    hooks = (await conn.execute(select(func.count()).select_from(schema.webhook).where(
        schema.webhook.c.event == "balance_changed"))).scalar_one()
    return posted, hooks


async def test_failure_before_commit_leaves_neither_posting_nor_webhook(tmp_path):
    config = {"bonus": {"schedule_seconds": 0, "webhook_seconds": 0, "webhooks": [
        {"name": "crm", "url": "http://127.0.0.1:9/hook", "secret": "s-123"}]}}
    async with make_hub(config, tmp_path, plugins=[kassa_bonus]) as hub:
        svc = await service_for(hub)
        g = await svc.register("t", "g", name="Anna")
        acc = await svc.guests.account_of(g.guest, "bonus")
        seen = []

        async def crash(conn, out):  # after the posting statements and the webhook row
            seen.append(await counts(conn, acc))
            raise RuntimeError("power cut before commit")

        svc.store.observers.append(crash)
        with pytest.raises(RuntimeError):
            await svc.ledger.earn("t", "e1", acc, 500)
        assert seen == [(1, 1)]  # both were written inside the transaction...
        async with svc.store.read() as conn:
            assert await counts(conn, acc) == (0, 0)  # ...and both rolled back
        svc.store.observers.remove(crash)
        out = await svc.ledger.earn("t", "e1", acc, 500)  # the client's retry posts once
        assert out.balance == 500
        async with svc.store.read() as conn:
            assert await counts(conn, acc) == (1, 1)
