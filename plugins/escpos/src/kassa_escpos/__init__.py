"""Kassa plugin escpos: ESC/POS receipt and kitchen printers over TCP 9100 and serial, with
a printer emulator. Hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_escpos.settings import EscposSettings

    return {"escpos": EscposSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_escpos.texts import TEXTS

    return TEXTS


@hookimpl
def register_devices(hub: Any) -> Sequence[Any]:
    from kassa_escpos.printer import EscposPrinter

    settings = hub.section("escpos")
    if settings is None:
        return []
    printers = [EscposPrinter(p) for p in settings.printers]
    for p in printers:
        if p.settings.status_interval > 0 and p.settings.status_query:
            hub.spawn(p.watch, name=f"escpos status of {p.name}")
    return printers


@hookimpl
def register_channels(hub: Any) -> Sequence[Any]:
    from kassa_escpos.channel import PrinterChannel

    settings = hub.section("escpos")
    if settings is None or not settings.printers:
        return []
    return [PrinterChannel(hub, {p.name: p.site for p in settings.printers})]


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_escpos.sim import EscposSimulator

    sites = getattr(settings, "sites", None) or ["r1"]
    codes = [str(getattr(s, "code", s)) for s in sites]
    return [EscposSimulator([(f"kitchen-{code}", code) for code in codes])]


@hookimpl
async def claim_device(candidate: Any, probe: Any) -> Any:
    from kassa_escpos.discover import claim_device as claim

    return await claim(candidate, probe)


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_escpos.cli import escpos

    cli.add_command(escpos)
