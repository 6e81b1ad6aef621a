from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kassa_sber.settings import TerminalSettings
from kassa_sber.sim import emulator_argv
from kassa_sber.terminal import SberTerminal


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make(work_dir: Path, **kw: Any) -> SberTerminal:
    """A terminal over the real subprocess transport, the emulator as its sb_pilot."""
    cfg: dict[str, Any] = {"name": "sber-1", "pilot": emulator_argv(), "timeout": 20.0,
                           "suspend": False, **kw}
    return SberTerminal(TerminalSettings(**cfg), work_dir)


@pytest.fixture
def terminal(tmp_path: Path) -> SberTerminal:
    return make(tmp_path / "sber-1")
