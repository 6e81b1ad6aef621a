"""Running a hub from the CLI: signals, the console in the same loop, link tokens."""

from __future__ import annotations

import gc
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from kassa.errors import KassaError, UserError
from kassa.hub import Hub
from kassa.secret import redact

log = logging.getLogger("kassa")


async def run_hub(settings: Any, console: bool = False, *,
                  attach: Callable[[Hub], Awaitable[None]] | None = None) -> None:
    """Run the hub until a signal, or until ``attach(hub)`` returns when given (a plugin's
    own terminal app in the hub's loop, as ``kassa pos till``; ``console``: the operator
    console). Either way the hub then stops as after a signal: it drains what is pending."""
    if console:  # no console installed: say so before anything starts
        from kassa.plugins import get_plugins

        find_console(get_plugins())
    # Signals are watched outside the hub from the first moment: during start-up, while
    # running and while stopping, SIGINT/SIGTERM end the process (a second one at once).
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        scopes = [anyio.CancelScope()]  # the innermost is what a signal cancels
        try:
            async with anyio.create_task_group() as outer:
                outer.start_soon(watch_signals, signals, scopes)
                with scopes[0]:
                    await _run(settings, console, scopes, attach)
                outer.cancel_scope.cancel()
        except BaseExceptionGroup as group:  # the task group wraps what the hub raised
            raise sole_error(group) from None


async def watch_signals(signals: Any, scopes: list[anyio.CancelScope]) -> None:
    stopping = False
    async for sig in signals:
        if not stopping:
            stopping = True
            log.info("%s: stopping (undelivered messages stay queued)", sig.name)
            scopes[-1].cancel()
        else:  # the person asked twice: they mean it (what was committed stays committed)
            log.warning("%s again: exiting now", sig.name)
            os._exit(128 + sig)


async def _run(settings: Any, console: bool, scopes: list[anyio.CancelScope],
               attach: Callable[[Hub], Awaitable[None]] | None = None) -> None:
    from kassa.store.lock import StoreLock

    started = False
    hub: Hub | None = None
    try:
        hub = Hub(settings)
        async with StoreLock(settings.data_path, settings.store_url), hub:
            started = True
            settle_memory()
            log.info("hub %s running: %d sites, %d channels, %d sources", settings.hub.name,
                     len(settings.sites), len(hub.channels), len(hub.sources))
            # a signal now ends only this scope, so the hub stops as after a normal return
            # (it drains what is pending instead of being cut off)
            running = anyio.CancelScope()
            scopes.append(running)
            with running:
                if attach is not None:
                    await attach(hub)
                elif console:
                    await attach_console(hub, settings.hub.locale)
                else:
                    await anyio.sleep_forever()
    except Exception as exc:
        if started or isinstance(exc, UserError):
            raise
        leaf = sole_error(exc) if isinstance(exc, BaseExceptionGroup) else exc
        if isinstance(leaf, UserError):
            raise leaf from None
        log.debug("start-up failed", exc_info=exc)  # -v shows where
        text = describe(leaf)
        if not isinstance(leaf, KassaError):  # ours print URLs masked already; others may not
            text = redact(text, hub.secret_values() if hub is not None else [])
        raise UserError(f"the hub could not start: {text}") from exc


def sole_error(exc: BaseException) -> BaseException:
    """The one error inside (nested) exception groups, else the group itself."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        if len(inner) != 1:
            return exc
        exc = inner[0]
    return exc


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, KassaError) and text:  # raised on purpose: its message says it all
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
