"""Kassa plugin telegram: hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_telegram.settings import TelegramSettings

    return {"telegram": TelegramSettings}


@hookimpl
def register_channels(hub: Any) -> Sequence[Any]:
    from kassa_telegram.channel import TelegramChannel

    settings = hub.section("telegram")
    if settings is None or not settings.token:
        return []
    return [TelegramChannel(settings, now=hub.clock.now)]  # the hub's clock: fakes drive it


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_telegram.sim import TelegramSimulator

    sites = getattr(settings, "sites", None) or ["r1", "r2", "r3"]
    return [TelegramSimulator([getattr(s, "code", s) for s in sites])]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_telegram.cli import telegram

    cli.add_command(telegram)
