"""Webhooks to external systems: guest_registered, balance_changed, points_expiring.

A table-backed queue (``bonus_webhook``): one row per (target, key), so a replayed operation
never queues twice; delivery with exponential backoff and a dead state after ``MAX_ATTEMPTS``.
Each POST is signed: ``X-Kassa-Signature: sha256=<hex HMAC(secret, "<timestamp>.<body>")>``
with ``X-Kassa-Timestamp`` so receivers can refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from kassa_bonus import schema
from kassa_bonus.store import BonusStore, insert_new

W = schema.webhook
MAX_ATTEMPTS = 10
EVENTS = ("guest_registered", "balance_changed", "points_expiring")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** attempts))


async def enqueue(conn: Any, now: datetime, targets: list[Any], event: str, key: str,
                  payload: dict[str, Any]) -> None:
    """Queue ``payload`` for every target subscribed to ``event``, in the caller's
    transaction (``conn``): it commits with the operation that caused it, or not at all."""
    wanted = [t for t in targets if "*" in t.events or event in t.events]
    if not wanted:
        return
    body = json.dumps({"event": event, "key": key, "data": payload}, ensure_ascii=False,
                      sort_keys=True, default=str)
    await insert_new(conn, W, ["target", "key"], [
        dict(target=t.name, event=event, key=key, body=body, next_at=now, created_at=now)
        for t in wanted])


async def deliver_due(store: BonusStore, targets: list[Any], client: httpx.AsyncClient,
                      limit: int = 100) -> dict[str, int]:
    """Send what is due once; failures are rescheduled. Returns counts by outcome."""
    by_name = {t.name: t for t in targets}
    now = store.clock.now()
    async with store.read() as conn:
        rows = (await conn.execute(select(W).where(W.c.status == "pending", W.c.next_at <= now)
                                   .order_by(W.c.id).limit(limit))).all()
    counts = {"sent": 0, "retry": 0, "dead": 0}
    for row in rows:
        target = by_name.get(row.target)
        error = "target removed from config" if target is None else \
            await _post(client, target, row, now)
        async with store.write() as conn:
            if error is None:
                await conn.execute(W.update().where(W.c.id == row.id).values(
                    status="sent", attempts=row.attempts + 1, last_error=None))
                counts["sent"] += 1
                continue
            attempts = row.attempts + 1
            dead = attempts >= MAX_ATTEMPTS or target is None
            await conn.execute(W.update().where(W.c.id == row.id).values(
                status="dead" if dead else "pending", attempts=attempts,
                next_at=now + backoff(attempts), last_error=error[:255]))
            counts["dead" if dead else "retry"] += 1
    return counts


async def _post(client: httpx.AsyncClient, target: Any, row: Any, now: datetime) -> str | None:
    body = row.body.encode()
    ts = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", "X-Kassa-Event": row.event,
               "X-Kassa-Delivery": row.key, "X-Kassa-Timestamp": ts,
               "X-Kassa-Signature": signature(target.secret.reveal(), ts, body)}
    try:
        r = await client.post(target.url, content=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"  # no URL or body in the error: they may carry data
    return None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
