"""Webhooks: queued once per key, signed with HMAC, retried with backoff, dead at the end."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from kassa.secret import Secret
from kassa_bonus import webhooks
from kassa_bonus.service import service_for
from kassa_bonus.settings import BonusSettings, WebhookTarget

pytestmark = pytest.mark.anyio


class Receiver:
    """A receiver that checks signatures the way a careful integrator would."""

    def __init__(self, secret: str, fail: int = 0) -> None:
        self.secret, self.fail = secret, fail
        self.got: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ts = request.headers["X-Kassa-Timestamp"]
        want = "sha256=" + hmac.new(self.secret.encode(), ts.encode() + b"." + request.content,
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, request.headers["X-Kassa-Signature"]):
            return httpx.Response(401)
        if self.fail:
            self.fail -= 1
            return httpx.Response(503)
        self.got.append(json.loads(request.content))
        return httpx.Response(204)


async def test_events_signed_retried_and_never_doubled(hub, clock):
    target = WebhookTarget("crm", "http://crm.local/hook", Secret("whsec-1"))
    hub._bonus = BonusSettings(webhooks=[target], lot_days=5, expiry_notice_days=7)
    svc = await service_for(hub)
    g = await svc.register("t", "g", name="Anna", phone="+79161234567")
    await svc.register("t", "g", name="Anna", phone="+79161234567")  # replay: no second event
    acc = await svc.guests.account_of(g.guest, "bonus")
    await svc.ledger.earn("t", "e", acc, 500, expires_at=clock.now() + timedelta(days=3))
    await svc.warn_expiring()
    await svc.warn_expiring()
    recv = Receiver("whsec-1", fail=1)
    async with httpx.AsyncClient(transport=httpx.MockTransport(recv)) as client:
        first = await webhooks.deliver_due(svc.store, [target], client)
        assert first == {"sent": 2, "retry": 1, "dead": 0}
        clock.advance(seconds=11)
        await webhooks.deliver_due(svc.store, [target], client)
    events = sorted(e["event"] for e in recv.got)
    assert events == ["balance_changed", "guest_registered", "points_expiring"]
    assert all("phone" not in json.dumps(e) for e in recv.got)  # no personal data


async def test_bad_secret_goes_dead_after_max_attempts(hub, clock):
    target = WebhookTarget("crm", "http://crm.local/hook", Secret("wrong"))
    hub._bonus = BonusSettings(webhooks=[target])
    svc = await service_for(hub)
    await svc.register("t", "g", name="Anna")
    recv = Receiver("right")
    async with httpx.AsyncClient(transport=httpx.MockTransport(recv)) as client:
        for _ in range(webhooks.MAX_ATTEMPTS):
            clock.advance(hours=2)
            await webhooks.deliver_due(svc.store, [target], client)
    async with svc.store.read() as conn:
        row = (await conn.execute(webhooks.W.select())).one()
    assert (row.status, row.attempts, row.last_error) == ("dead", webhooks.MAX_ATTEMPTS,
                                                          "HTTP 401")
    assert recv.got == []
