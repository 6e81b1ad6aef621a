"""Kassa plugin atol: ATOL fiscal registers: the ATOL Web Server (driver v10 JSON tasks) and
ATOL Online v5, with simulators. Hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_atol.settings import AtolSettings

    return {"atol": AtolSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_atol.texts import TEXTS

    return TEXTS


@hookimpl
def register_fiscal_devices(hub: Any) -> Sequence[Any]:
    from kassa_atol.online import AtolOnlineRegister
    from kassa_atol.register import AtolRegister
    from kassa_atol.settings import AtolSettings

    cfg: AtolSettings = hub.section("atol", AtolSettings)
    locale = getattr(hub, "locale", "ru")
    devices: list[Any] = [AtolRegister(r.name, r, clock=hub.clock, locale=locale)
                          for r in cfg.registers]
    # the sent log (what left under which external_id) lives in the hub's data folder
    devices += [AtolOnlineRegister(o.name, o, hub.clock, data_dir=hub.settings.data_path)
                for o in cfg.online]
    return devices


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_atol.sim import simulators

    return simulators(settings)


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_atol.cli import atol

    cli.add_command(atol)
