"""Kassa plugin sber: Sberbank UPOS bank card terminals (purchase, cancel, refund,
reconciliation, suspend / commit / rollback), driven through sb_pilot runs, with an
emulator. Hook implementations only: the runs are in pilot.py, the terminal in terminal.py,
the emulator in sim_pilot.py / sim_tape.py, its control server in sim.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_sber.settings import SberSettings

    return {"sber": SberSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_sber.texts import TEXTS

    return TEXTS


@hookimpl
def register_devices(hub: Any) -> Sequence[Any]:
    from pathlib import Path

    from kassa_sber.settings import SberSettings
    from kassa_sber.terminal import SberTerminal

    cfg = hub.section("sber", SberSettings)
    return [SberTerminal(t, Path(t.work_dir) if t.work_dir
                         else hub.settings.data_path / "sber" / t.name)
            for t in cfg.terminals]


@hookimpl
def claim_device(candidate: Any, probe: Any) -> Any:
    from kassa_sber.discover import claim_device as claim

    return claim(candidate, probe)


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_sber.cli import sber

    cli.add_command(sber)
