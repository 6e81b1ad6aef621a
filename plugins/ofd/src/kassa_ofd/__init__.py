"""Kassa plugin ofd: the fiscal data operator (OFD.ru merchant API v1): receipts reached the
OFD, lookups, the FNS receipt check, with an OFD emulator. Hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_ofd.settings import OfdSettings

    return {"ofd": OfdSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_ofd.texts import TEXTS

    return TEXTS


@hookimpl
def register_event_kinds() -> Sequence[Any]:
    from kassa_ofd.kinds import KINDS

    return KINDS


@hookimpl
def register_routes(hub: Any) -> Sequence[Any]:
    from kassa_ofd.api import router

    return [router(hub)]


@hookimpl
def on_startup(hub: Any) -> None:
    from kassa_ofd.service import service_for

    svc = service_for(hub)
    if svc.cfg.configured and svc.cfg.reconcile_every_minutes > 0:
        hub.spawn(svc.run_forever, name="ofd-reconcile")


@hookimpl
async def on_shutdown(hub: Any) -> None:
    svc = hub.state("kassa_ofd").pop("service", None)
    if svc is not None:
        await svc.aclose()


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    import socket

    from kassa_ofd.sim import OfdSimulator

    with socket.socket() as s:  # fixed now: the registers' FNs read it before it starts
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return [OfdSimulator(port=port)]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_ofd.cli import ofd

    cli.add_command(ofd)
