"""Kassa plugin scanner: barcode scanners (serial, USB HID POS, keyboard-wedge) and GS1
DataMatrix marking codes, with an emulator. Hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_scanner.settings import ScannerSection

    return {"scanner": ScannerSection}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_scanner.texts import TEXTS

    return TEXTS


@hookimpl
def register_devices(hub: Any) -> Sequence[Any]:
    from kassa_scanner.scanner import HidPosScanner, SerialScanner, WedgeScanner

    section = hub.section("scanner")
    if section is None:
        return []
    kinds = {"serial": SerialScanner, "hidpos": HidPosScanner, "wedge": WedgeScanner}
    return [kinds[s.mode](s, hub.clock) for s in section.scanners]


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_scanner.sim import ScannerSimulator

    return [ScannerSimulator()]


@hookimpl
def claim_device(candidate: Any, probe: Any) -> Any:
    from kassa_scanner.discover import claim_device as claim

    return claim(candidate, probe)


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_scanner.cli import scanner

    cli.add_command(scanner)
