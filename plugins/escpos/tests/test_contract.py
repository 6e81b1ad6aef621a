"""The core's PrinterContract against the driver on the emulator over a real TCP socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa.testing import PrinterContract
from kassa_escpos.printer import EscposPrinter
from kassa_escpos.sim import EscposSimulator

from .conftest import settings_for

RUNNING: dict[str, EscposSimulator] = {}


@pytest.fixture(autouse=True)
async def emulator() -> AsyncIterator[None]:
    sim = EscposSimulator([("kitchen", "s1")])
    await sim.start()
    RUNNING["sim"] = sim
    try:
        yield
    finally:
        await sim.stop()
        assert sim["kitchen"].paper.duplicates() == []  # the emulator's own double-print check


class TestEscposPrinter(PrinterContract):
    make_device = staticmethod(lambda: EscposPrinter(settings_for(RUNNING["sim"])))

    async def effects(self, component: Any) -> int:
        return RUNNING["sim"]["kitchen"].effects()
