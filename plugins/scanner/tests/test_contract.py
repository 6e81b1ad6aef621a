"""The core's ScannerContract against the serial and HID POS drivers on the emulator's ptys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa.testing.contracts.devices import ScannerContract
from kassa_scanner.scanner import HidPosScanner, SerialScanner
from kassa_scanner.settings import ScannerSettings
from kassa_scanner.sim import ScannerSimulator

RUNNING: dict[str, ScannerSimulator] = {}


@pytest.fixture(autouse=True)
async def emulator() -> AsyncIterator[None]:
    sim = ScannerSimulator([("cr", "cr"), ("none", "none"), ("hid", "hidpos")])
    await sim.start()
    RUNNING["sim"] = sim
    try:
        yield
    finally:
        await sim.stop()


class _OnEmulator(ScannerContract):
    pty = "cr"

    async def read(self, component: Any, code: str) -> None:
        await RUNNING["sim"][self.pty].scan(code, pause=0.15)


class TestSerialCr(_OnEmulator):
    pty = "cr"

    def make_device(self) -> SerialScanner:
        p = RUNNING["sim"]["cr"]
        return SerialScanner(ScannerSettings(name="cr", port=p.port, terminator="cr",
                                             char_timeout=0.05))


class TestSerialNoTerminator(_OnEmulator):
    pty = "none"

    def make_device(self) -> SerialScanner:
        p = RUNNING["sim"]["none"]
        return SerialScanner(ScannerSettings(name="none", port=p.port, terminator="none",
                                             char_timeout=0.05))


class TestHidPos(_OnEmulator):
    pty = "hid"

    def make_device(self) -> HidPosScanner:
        p = RUNNING["sim"]["hid"]
        return HidPosScanner(ScannerSettings(name="hid", port=p.port, mode="hidpos"))
