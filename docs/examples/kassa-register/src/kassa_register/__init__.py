"""A fiscal-register plugin: hook implementations only (the register is in tape.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kassa import hookimpl

from kassa_register.tape import TapeRegister, TapeSettings


@hookimpl
def register_settings() -> dict[str, type]:
    return {"register": TapeSettings}


@hookimpl
def register_fiscal_devices(hub: Any) -> list[Any]:
    cfg: TapeSettings = hub.section("register", TapeSettings)
    if not cfg.tape:
        return []  # not configured: this hub has no training register
    return [TapeRegister(cfg.name, Path(cfg.tape), clock=hub.clock)]
