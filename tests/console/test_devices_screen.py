"""The Devices screen against the real hub's /api/devices, with the reference fake printer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kassa import hookimpl
from kassa.api.client import AdminClient
from kassa.testing import FakePrinter, make_hub
from kassa_console.app import ConsoleApp
from kassa_console.screens.devices import DevicesScreen

from .conftest import wait_for
from .test_app import _text, rows

pytestmark = pytest.mark.anyio


def listed(app: ConsoleApp) -> list[list[str]]:
    try:
        return rows(app, "#devices")
    except Exception:  # not composed yet
        return []


class Printers:
    def __init__(self, printer: FakePrinter) -> None:
        self.printer = printer

    @hookimpl
    def register_devices(self, hub: Any) -> list[Any]:
        return [self.printer]


async def test_devices_and_a_test_page(tmp_path: Path) -> None:
    printer = FakePrinter("kitchen")
    cfg = {"sites": [{"code": "msk1", "name": "Тверская", "printers": ["kitchen"]}]}
    async with make_hub(cfg, tmp_path, plugins=[Printers(printer)], api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", "test-token")
        app = ConsoleApp(client, panels=[], own_client=True, refresh_s=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("h")  # the footer's key (h: hardware)
            await wait_for(pilot, lambda: isinstance(app.screen, DevicesScreen))
            footer = {key: b.binding.description for key, b in app.active_bindings.items()
                      if b.binding.show}
            assert footer["t"] == "проверить"
            assert set(footer) >= {"t", "d", "q"} and "h" not in footer
            await wait_for(pilot, lambda: len(listed(app)) == 1)
            assert rows(app, "#devices")[0][:3] == ["kitchen", "printer", "—"]
            assert "● в порядке" in rows(app, "#devices")[0][3]
            assert "доступно" in _text(app.screen, "#devices-detail")
            await pilot.press("t")
            await wait_for(pilot, lambda: printer.effects() == 1)
            assert printer.paper()[0] == "Тестовая страница Kassa"
            printer.paper_out = True
            await wait_for(pilot, lambda: "предупреждение" in rows(app, "#devices")[0][3])


class Scales:
    def __init__(self, scale: Any) -> None:
        self.scale = scale

    @hookimpl
    def register_devices(self, hub: Any) -> list[Any]:
        return [self.scale]


async def test_t_reads_a_scale_and_says_the_weight(tmp_path: Path) -> None:
    from kassa.testing.fakes import FakeScale

    scale = FakeScale("scale-1", curve=["1.250", "1.250"])
    async with make_hub({}, tmp_path, plugins=[Scales(scale)], api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", "test-token")
        app = ConsoleApp(client, panels=[], own_client=True, refresh_s=0.2)
        said: list[str] = []
        async with app.run_test(size=(100, 30)) as pilot:
            app.notify = lambda message, **kw: said.append(str(message))  # type: ignore[method-assign]
            await pilot.press("h")
            await wait_for(pilot, lambda: len(listed(app)) == 1)
            await pilot.press("t")
            await wait_for(pilot, lambda: bool(said))
        assert said == ["Весы «scale-1»: 1,250 кг, вес не успокоился"]
