"""Starting the console: ``run_console(base_url, token)`` for ``kassa console``; ``await
run_console_async(client)`` inside an already running event loop (``kassa run --console``,
``kassa demo``, through ``TextualConsole``, the ``register_console`` component)."""

from __future__ import annotations

from typing import Any

from kassa.secret import Secret


def run_console(base_url: str, token: str | Secret, locale: str = "ru",
                replay: str | None = None, *, speed: float = 10.0) -> None:
    """Run the console until the operator quits. ``replay`` is a JSON-lines event log to play
    (at ``speed`` times real time, 0 = at once) instead of attaching to a hub."""
    from kassa.api.client import AdminClient
    from kassa.terminal import terminal_to_console

    from kassa_console.app import ConsoleApp
    from kassa_console.replay import ReplayClient

    client: Any = (ReplayClient.from_file(replay, speed=speed, locale=locale) if replay
                   else AdminClient(base_url, token))
    with terminal_to_console():
        ConsoleApp(client, locale, own_client=True).run()


async def run_console_async(client: Any, locale: str = "ru") -> None:
    """Run the console in the current asyncio loop; the caller keeps owning ``client``."""
    from kassa.terminal import terminal_to_console

    from kassa_console.app import ConsoleApp

    with terminal_to_console():
        await ConsoleApp(client, locale).run_async()


class TextualConsole:
    """``kassa.hookspecs.app.Console``: what the core opens for ``kassa run --console``."""

    async def attach(self, client: Any, locale: str) -> None:
        await run_console_async(client, locale)


__all__ = ["TextualConsole", "run_console", "run_console_async"]
