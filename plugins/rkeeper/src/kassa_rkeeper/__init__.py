"""Kassa plugin rkeeper: hook implementations only."""

from __future__ import annotations

from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> dict[str, type]:
    from kassa_rkeeper.settings import RKeeperSettings

    return {"sites.rkeeper": RKeeperSettings}


@hookimpl
def register_event_kinds() -> tuple[Any, ...]:
    from kassa_rkeeper.kinds import KINDS

    return KINDS


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
    from kassa_rkeeper.sim import simulators

    return simulators(settings)


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_rkeeper.cli import rkeeper

    cli.add_command(rkeeper)
