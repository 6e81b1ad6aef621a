"""ScannerContract: a scanner that hands codes on whole passes; one that strips the GS1
group separators or repeats a code is caught."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from kassa.model import DeviceStatus, Health, Scan
from kassa.testing.contracts.devices import ScannerContract

pytestmark = pytest.mark.anyio


class MemoryScanner:
    kind = "scanner"

    def __init__(self, *, strip_gs: bool = False, twice: bool = False) -> None:
        self.name = "mem-scanner"
        self.send, self.recv = anyio.create_memory_object_stream[Scan](16)
        self.strip_gs, self.twice = strip_gs, twice

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> DeviceStatus:
        return DeviceStatus(health=Health.OK)

    async def scans(self) -> AsyncIterator[Scan]:
        async for scan in self.recv.clone():
            yield scan

    async def far_read(self, code: str) -> None:
        code = code.replace("\x1d", "") if self.strip_gs else code
        for _ in range(2 if self.twice else 1):
            await self.send.send(Scan(code=code, at=datetime.now(UTC)))


class TestMemoryScanner(ScannerContract):
    options: dict[str, Any] = {}

    def make_device(self) -> MemoryScanner:
        return MemoryScanner(**self.options)

    async def read(self, component: Any, code: str) -> None:
        await component.far_read(code)


class Quick(TestMemoryScanner):
    patience = 0.5


@pytest.mark.parametrize("options", [{"strip_gs": True}, {"twice": True}])
async def test_the_suite_catches_a_broken_scanner(tmp_path: Path,
                                                  options: dict[str, Any]) -> None:
    suite = Quick()
    suite.options = options
    with pytest.raises(AssertionError):
        await suite.test_codes_arrive_whole_once_and_in_order(tmp_path)
