"""Kassa plugin shtrih: Shtrih-M fiscal registers (hook implementations only; the link layer
is in link.py, the commands in commands.py, the register in device.py, the emulator in sim/)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_shtrih.settings import ShtrihSettings

    return {"shtrih": ShtrihSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_shtrih.texts import TEXTS

    return TEXTS


@hookimpl
def register_fiscal_devices(hub: Any) -> Sequence[Any]:
    from pathlib import Path

    from kassa_shtrih.device import ShtrihRegister
    from kassa_shtrih.intents import journal_settled
    from kassa_shtrih.settings import ShtrihSettings

    cfg = hub.section("shtrih", ShtrihSettings)
    state = Path(cfg.state_dir) if cfg.state_dir else hub.settings.data_path / "shtrih"
    # the reconcile log drops what the journal has settled (done / failed)
    settled = journal_settled(hub.journal) if getattr(hub, "journal", None) else None
    return [ShtrihRegister(r, state, settled=settled, compact_bytes=cfg.compact_bytes)
            for r in cfg.registers]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_shtrih.cli import shtrih

    cli.add_command(shtrih)
