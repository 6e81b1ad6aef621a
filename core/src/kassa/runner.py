"""Running a hub from the CLI: signals, the console in the same loop, link tokens."""

from __future__ import annotations

import logging
import signal
from typing import Any

import anyio

from kassa.hub import Hub

log = logging.getLogger("kassa")


async def run_hub(settings: Any, console: bool = False) -> None:
    # Take SIGINT/SIGTERM before anything starts, so a signal never kills a half-started hub.
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with Hub(settings) as hub, anyio.create_task_group() as tg:
            async def wait_signal() -> None:
                async for sig in signals:
                    log.info("%s: stopping (undelivered messages stay queued)", sig.name)
                    tg.cancel_scope.cancel()
                    return

            tg.start_soon(wait_signal)
            log.info("hub %s running: %d sites, %d channels, %d sources", settings.hub.name,
                     len(settings.sites), len(hub.channels), len(hub.sources))
            if console:
                await attach_console(hub, settings.hub.locale)
                tg.cancel_scope.cancel()


async def attach_console(hub: Hub, locale: str) -> None:
    from kassa.console import run_console_async
    from kassa.console.client import AdminClient

    client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
    try:
        await run_console_async(client, locale)
    finally:
        await client.aclose()


async def create_link(settings: Any, site: str | None, owners: bool, hours: int) -> str:
    from kassa.commands import CommandRouter

    hub = Hub(settings, api=False)  # not started: only its store and settings are used
    try:
        await hub.store.prepare()
        return await CommandRouter(hub).create_link(site, owners=owners, hours=hours)
    finally:
        await hub.store.close()
