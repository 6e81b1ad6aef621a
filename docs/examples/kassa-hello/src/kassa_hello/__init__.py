"""The smallest Kassa plugin: hook implementations only."""

from __future__ import annotations

from typing import Any

from kassa import hookimpl
from kassa.hookspecs.notify import Access
from kassa.model import Reply

SEEN: dict[str, int] = {}


class Hello:
    name = "hello"
    description = "help.help"
    access = Access.BOUND

    async def handle(self, ctx: Any, args: str) -> Reply:
        n = SEEN.get(ctx.site or "", 0)
        return Reply(f"Привет! Событий в этом ресторане: {n}" if ctx.locale == "ru"
                     else f"Hello! Events at this restaurant: {n}")


@hookimpl
def register_commands() -> list[Any]:
    return [Hello()]


@hookimpl
def on_event(event: Any) -> None:
    SEEN[event.site] = SEEN.get(event.site, 0) + 1
