"""The hub's background jobs: expiry and promotions every ``schedule_seconds``, webhook
delivery every ``webhook_seconds`` (each row keeps its own backoff in ``next_at``).

Both loops are started with ``hub.spawn`` (the hub restarts them with backoff if one fails);
``kassa bonus schedule`` runs the same steps once, by hand or from cron.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import httpx

from kassa_bonus import webhooks

log = logging.getLogger("kassa.bonus.scheduler")
BATCH = 100  # webhooks delivered per look


def start(hub: Any, svc: Any) -> None:
    """Spawn the loops a hub runs for the bonus engine (none when an interval is 0)."""
    s = svc.settings
    if s.schedule_seconds > 0:
        hub.spawn(lambda: schedule_loop(svc, s.schedule_seconds), name="bonus-schedule")
    if s.webhook_seconds > 0 and s.webhooks:
        hub.spawn(lambda: webhook_loop(svc, s.webhook_seconds), name="bonus-webhooks")


async def schedule_loop(svc: Any, every: float) -> None:
    while True:
        done = await svc.run_jobs()
        if any(done.values()):
            log.info("bonus schedule: %s", ", ".join(f"{k} {v}" for k, v in done.items()))
        await anyio.sleep(every)


async def webhook_loop(svc: Any, every: float) -> None:
    async with httpx.AsyncClient() as client:
        while True:
            counts = await webhooks.deliver_due(svc.store, svc.settings.webhooks, client,
                                                limit=BATCH)
            if counts["retry"] or counts["dead"]:
                log.warning("bonus webhooks: %(sent)d sent, %(retry)d to retry, %(dead)d dead",
                            counts)
            if sum(counts.values()) < BATCH:  # a full batch: more may be due, go on at once
                await anyio.sleep(every)
