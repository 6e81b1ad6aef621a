"""Kassa plugin rkeeper: hook implementations only."""

from __future__ import annotations

from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> dict[str, type]:
    from kassa_rkeeper.farcards.settings import FarCardsSettings
    from kassa_rkeeper.settings import RKeeperSettings

    return {"sites.rkeeper": RKeeperSettings, "farcards": FarCardsSettings}


@hookimpl
def register_event_kinds() -> tuple[Any, ...]:
    from kassa_rkeeper.farcards.kinds import KINDS as FARCARDS
    from kassa_rkeeper.kinds import KINDS

    return KINDS + FARCARDS


@hookimpl
def register_sources(hub: Any) -> list[Any]:
    from kassa_rkeeper.source import RKeeperSource

    return [RKeeperSource(site.code, site.plugins["rkeeper"], site.timezone, site.name, hub=hub)
            for site in hub.settings.sites if site.plugins.get("rkeeper") is not None]


@hookimpl
def register_reports() -> list[Any]:
    from kassa_rkeeper.reports import all_reports

    return all_reports()


@hookimpl
def register_simulators(settings: Any) -> list[Any]:
    from kassa_rkeeper.farcards.demo import FarCardsDemo
    from kassa_rkeeper.sim import simulators

    return [*simulators(settings), FarCardsDemo(settings)]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_rkeeper.cli import rkeeper

    cli.add_command(rkeeper)


@hookimpl
def on_startup(hub: Any) -> None:
    from kassa_rkeeper.farcards import door
    from kassa_rkeeper.farcards.settings import FarCardsSettings

    door.start(hub, hub.section("farcards", FarCardsSettings))


@hookimpl
async def on_shutdown(hub: Any) -> None:
    door = hub.state("rkeeper").get("farcards")
    if door is not None:
        await door.aclose()
