"""``POST /api/devices/{name}/test`` for every kind: a scale is read, a scanner waits for
the next code, a terminal is asked itself (``check()``), a device that fails says so in one
sentence and the hub goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from kassa import hookimpl
from kassa.model import DeviceStatus, Health, Scan, Symbology
from kassa.testing import make_hub
from kassa.testing.fakes import FakeScale, FakeTerminal

from tests.factories import CONFIG

pytestmark = pytest.mark.anyio


class QueueScanner:
    kind = "scanner"

    def __init__(self, name: str = "scan-1") -> None:
        self.name = name
        self.send, self.recv = anyio.create_memory_object_stream[Scan](10)
        self.readers = 0

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> DeviceStatus:
        return DeviceStatus(health=Health.OK)

    async def scans(self) -> AsyncIterator[Scan]:
        self.readers += 1
        try:
            async for scan in self.recv.clone():
                yield scan
        finally:
            self.readers -= 1


class AskedTerminal(FakeTerminal):
    """The core's fake card terminal run as a device, with a status request of its own."""

    kind = "terminal"

    def __init__(self, name: str = "pinpad-1", *, answer: Any = None) -> None:
        super().__init__(name)
        self.answer = answer
        self.asked = 0

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> DeviceStatus:  # type: ignore[override]  # the device's plain call
        return DeviceStatus(health=Health.OK, message="as last seen")

    async def check(self) -> DeviceStatus:
        self.asked += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return DeviceStatus(health=Health.DEGRADED, message="пин-пад: нет связи с банком")


class Devices:
    def __init__(self, *devices: Any) -> None:
        self.devices = list(devices)

    @hookimpl
    def register_devices(self) -> list[Any]:
        return self.devices


async def post(hub: Any, name: str, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as c:
        return await c.post(f"http://127.0.0.1:{hub.api_port}/api/devices/{name}/test",
                            json=body, headers={"Authorization": "Bearer test-token"})


async def test_each_kind_is_tested_its_own_way(tmp_path: Path) -> None:
    scale = FakeScale("scale-1", curve=["0.420", "0.420"])
    scanner, terminal = QueueScanner(), AskedTerminal()
    async with make_hub(CONFIG, tmp_path, plugins=[Devices(scale, scanner, terminal)],
                        api=True) as hub:
        got = await post(hub, "scale-1")
        assert got.status_code == 200, got.text
        assert got.json()["weight"] == {"value": "0.420", "unit": "kg", "stable": False,
                                        "overload": False, "underload": False, "tare": "0"}
        async with anyio.create_task_group() as tg:
            async def scan_soon() -> None:
                while not scanner.readers:  # noqa: ASYNC110 (the route's reader appears)
                    await anyio.sleep(0.01)
                await scanner.send.send(Scan(code="4601234567893", at=datetime.now(UTC),
                                             symbology=Symbology.EAN13))
            tg.start_soon(scan_soon)
            got = await post(hub, "scan-1", timeout=10)
        assert got.status_code == 200, got.text
        assert got.json()["scan"]["code"] == "4601234567893"
        assert got.json()["scan"]["symbology"] == str(Symbology.EAN13)
        assert scanner.readers == 0  # the route let go of the scanner
        got = await post(hub, "pinpad-1")
        assert got.status_code == 200, got.text
        assert got.json()["status"] == {"health": "degraded", "asked": True,
                                        "message": "пин-пад: нет связи с банком"}
        assert terminal.asked == 1


async def test_failures_are_one_sentence_and_the_hub_goes_on(tmp_path: Path) -> None:
    scale = FakeScale("scale-1")
    scale.offline = True
    scanner = QueueScanner()
    terminal = AskedTerminal(answer=OSError("sb_pilot not found"))
    async with make_hub(CONFIG, tmp_path, plugins=[Devices(scale, scanner, terminal)],
                        api=True) as hub:
        got = await post(hub, "scale-1")
        assert got.status_code == 503 and "scale-1" in got.json()["error"]["message"]
        got = await post(hub, "scan-1", timeout=0.2)
        assert got.status_code == 504
        assert got.json()["error"]["message"] == "Сканер «scan-1» ничего не прочитал за 0,2 с."
        got = await post(hub, "pinpad-1", locale="en")
        assert got.status_code == 502
        assert got.json()["error"]["message"].startswith("Device 'pinpad-1' did not answer:")
        assert "sb_pilot not found" in got.json()["error"]["message"]
        got = await post(hub, "nope")
        assert got.status_code == 404 and "«nope» не найдено" in got.json()["error"]["message"]
        assert (await post(hub, "scale-1")).status_code == 503  # still serving


async def cli(hub: Any, *args: str) -> Any:
    from click.testing import CliRunner
    from kassa.devices_cli import devices

    argv = [*args, "--url", f"http://127.0.0.1:{hub.api_port}", "--token", "test-token"]
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(devices, argv))


async def test_the_cli_says_each_kinds_result_in_one_sentence(tmp_path: Path) -> None:
    scale = FakeScale("scale-1", curve=["0.420", "0.420"])
    scanner, terminal = QueueScanner(), AskedTerminal()
    async with make_hub(CONFIG, tmp_path, plugins=[Devices(scale, scanner, terminal)],
                        api=True) as hub:
        res = await cli(hub, "test", "scale-1")
        assert res.exit_code == 0, res.output
        assert res.stdout.strip() == "Весы «scale-1»: 0,420 кг, вес не успокоился."
        res = await cli(hub, "test", "scale-1", "--locale", "en")
        assert res.stdout.strip() == "Scale 'scale-1': 0.420 kg, stable."
        res = await cli(hub, "test", "pinpad-1")
        assert res.stdout.strip() == ("Терминал «pinpad-1» ответил: с предупреждением —"
                                      " пин-пад: нет связи с банком.")
        res = await cli(hub, "test", "scan-1", "--timeout", "0.2")
        assert res.exit_code == 1
        assert "Отсканируйте код сканером «scan-1» (жду 0,2 с)…" in res.stderr
        assert "Сканер «scan-1» ничего не прочитал за 0,2 с." in res.stderr
        res = await cli(hub, "test", "scale-1", "--json")
        assert '"weight"' in res.stdout and "Весы" not in res.stdout
