"""Kassa plugin max: hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_max.settings import MaxSettings

    return {"max": MaxSettings}


@hookimpl
def register_channels(hub: Any) -> Sequence[Any]:
    from kassa_max.channel import MaxChannel

    settings = hub.section("max")
    if settings is None or not settings.token:
        return []
    known = [c.chat_id for c in hub.settings.chats if c.channel == "max"]
    channel = MaxChannel(settings, locale=hub.settings.hub.locale, known_chats=known,
                         now=hub.clock.now)  # the hub's clock: a fake one drives sent_at
    hub.state("max")["channels"] = [channel]  # this hub's, closed at its shutdown
    return [channel]


@hookimpl
async def on_shutdown(hub: Any) -> None:
    for channel in hub.state("max").pop("channels", []):
        await channel.aclose()


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_max.demo import MaxDemoSimulator

    sites = getattr(settings, "sites", None)
    codes = None if sites is None else [getattr(s, "code", s) for s in sites]
    return [MaxDemoSimulator(codes)]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_max.cli import max_group

    cli.add_command(max_group)
