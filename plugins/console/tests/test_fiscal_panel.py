"""The console's Fiscal panel against a real hub (admin API on a port) with the core's fake
register: the state of each register, and actions that happen only after a confirmation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from kassa import hookimpl
from kassa.api.client import AdminClient
from kassa.testing import FakeClock, make_hub
from kassa.testing.contracts import sample_receipt
from kassa.testing.fakes import FakeRegister
from kassa_console.app import ConsoleApp
from kassa_console.screens.fiscal import ConfirmAction, FiscalScreen
from textual.widgets import DataTable, Input, Static

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Registers:
    def __init__(self, *regs: Any) -> None:
        self.regs = list(regs)

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return self.regs


CONFIG = {"sites": [{"code": "s1", "name": "Невский", "fiscal": "fr1"},
                    {"code": "s2", "name": "Мойка", "fiscal": "fr2"}],
          "fiscal": {"poll_interval": 0}}


@pytest.fixture
async def live(tmp_path: Any) -> AsyncIterator[tuple[Any, FakeRegister, FakeRegister, ConsoleApp]]:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    fr1 = FakeRegister("fr1", path=tmp_path / "fr1.db", clock=clock)
    fr2 = FakeRegister("fr2", path=tmp_path / "fr2.db", clock=clock)
    async with make_hub(CONFIG, tmp_path, plugins=[Registers(fr1, fr2)], clock=clock,
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", "test-token")
        yield hub, fr1, fr2, ConsoleApp(client, panels=[], own_client=True, refresh_s=0.3)


async def wait_for(pilot: Any, condition: Callable[[], Any], within: float = 10.0) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition not met in {within}s")


def rows(app: ConsoleApp) -> list[list[str]]:
    table = app.screen.query_one("#registers", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def detail(app: ConsoleApp) -> str:
    return str(app.screen.query_one("#fiscal-detail", Static).render())


async def test_state_of_every_register_and_confirmed_actions(live):
    hub, fr1, fr2, app = live
    fr2.paper_out = True
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen) and
                       len(rows(app)) == 2)
        assert rows(app)[0][:3] == ["s1", "fr1", "закрыта"]
        assert rows(app)[1][5] == "НЕТ"  # fr2 is out of paper
        assert "Касса «fr1», точка s1" in detail(app)

        await pilot.press("o")  # open the shift: asked first
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("escape")  # cancelled: nothing happens
        await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen))
        assert fr1.effects("shift_open") == 0
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: fr1.effects("shift_open") == 1)
        await wait_for(pilot, lambda: rows(app)[0][2].startswith("№1 · "))

        await pilot.press("i")  # cash in: the amount is asked in the dialog
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        app.screen.query_one("#fiscal-amount", Input).value = "1500,50"
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: fr1.effects("cash_in") == 1)
        assert fr1.documents()[-1].total == 150050

        await hub.fiscal.receipt(sample_receipt(), key="sale-1", site="s1")
        await wait_for(pilot, lambda: rows(app)[0][6].startswith("чек · "))
        await wait_for(pilot, lambda: "QR: t=" in detail(app))

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: fr1.effects("x_report") == 1)


async def test_a_refusal_is_shown_not_crashed(live):
    _hub, fr1, _fr2, app = live
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen) and
                       len(rows(app)) == 2)
        await pilot.press("z")  # the shift is closed: the hub says so in one sentence
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: any("закрыта: сначала откройте смену" in str(n.message)
                                          for n in app._notifications))
        assert fr1.effects("shift_close") == 0
