"""Running a hub from the CLI: signals, the console in the same loop, link tokens."""

from __future__ import annotations

import gc
import logging
import signal
from typing import Any

import anyio

from kassa.hub import Hub
from kassa.secret import redact

log = logging.getLogger("kassa")


async def run_hub(settings: Any, console: bool = False) -> None:
    if console:  # no console installed: say so before anything starts
        from kassa.plugins import get_plugins

        find_console(get_plugins())
    # Take SIGINT/SIGTERM before anything starts, so a signal never kills a half-started hub.
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with Hub(settings) as hub, anyio.create_task_group() as tg:
            async def wait_signal() -> None:
                async for sig in signals:
                    log.info("%s: stopping (undelivered messages stay queued)", sig.name)
                    tg.cancel_scope.cancel()
                    return

            tg.start_soon(wait_signal)
            settle_memory()
            log.info("hub %s running: %d sites, %d channels, %d sources", settings.hub.name,
                     len(settings.sites), len(hub.channels), len(hub.sources))
            if console:
                await attach_console(hub, settings.hub.locale)
                tg.cancel_scope.cancel()


def settle_memory() -> None:
    """Once the hub has started: what start-up built (modules, plugins, SQLAlchemy's caches,
    the API app) lives as long as the process, so move it out of the collector's sight.
    Full collections then walk only what requests create; each used to pause the loop
    12-30 ms (measured in the bonus bench's server), the p99 of a hold or an alert."""
    gc.collect()
    gc.freeze()


def find_console(plugins: Any) -> Any:
    """The installed operator console (``register_console``); a ``UserError`` naming the
    distribution to install without one (callers ask before anything starts)."""
    from kassa.errors import UserError

    found = plugins.console()
    if found is None:
        raise UserError("the console is not installed: pip install kassa-console")
    return found


async def attach_console(hub: Hub, locale: str) -> None:
    from kassa.api.client import AdminClient

    console = find_console(hub.plugins)
    client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
    try:
        await console.attach(client, locale)
    finally:
        await client.aclose()


async def create_link(settings: Any, site: str | None, owners: bool, hours: int
                      ) -> tuple[str, list[tuple[str, str]]]:
    """A one-time token, and (channel, deep link or why there is none) per channel whose
    plugin can make a link (its bot is asked for its name: a network call, bounded)."""
    from kassa.commands import CommandRouter

    hub = Hub(settings, api=False)  # not started: only its store, settings and plugins
    try:
        await hub.store.prepare()
        token = await CommandRouter(hub).create_link(site, owners=owners, hours=hours)
    finally:
        await hub.store.close()
    links: list[tuple[str, str]] = []
    for channel in await hub.plugins.channels(hub):
        make = getattr(channel, "deep_link", None)
        try:
            if make is not None:
                with anyio.fail_after(15):
                    links.append((channel.name, await make(token)))
        except Exception as exc:  # the bot is unreachable: the /start command still works
            links.append((channel.name, f"(no link: {redact(str(exc), hub.secret_values())})"))
        finally:
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()
    return token, links
