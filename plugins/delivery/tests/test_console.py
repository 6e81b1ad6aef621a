"""The console's Delivery screen against a real hub: the queue, what waits and why."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from kassa.api.client import AdminClient
from kassa.testing import eventually
from kassa_console.app import ConsoleApp
from kassa_delivery.console import DeliveryPanel, DeliveryScreen
from textual.widgets import DataTable, Static

from .conftest import APP, idem, payment

pytestmark = pytest.mark.anyio


async def test_the_screen_shows_the_waiting_queue(api, hub, register):
    register.offline = True
    for n in range(2):
        await api.post("/payments", json=payment(f"Q-{n}"), headers=idem(f"q{n}"))

    async def waiting() -> bool:
        return (await api.get("/jobs/1", headers=APP)).json()["waiting"] is not None

    await eventually(waiting, hub=hub)
    client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
    app = ConsoleApp(client, panels=[DeliveryPanel()], own_client=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("j")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DeliveryScreen)
        with anyio.fail_after(20):
            while screen.loads == 0:
                await pilot.pause(0.05)
        head = str(screen.query_one("#delivery-summary", Static).render())
        assert "В очереди 2" in head and "does not answer" in head
        table: Any = screen.query_one("#delivery-jobs", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1] for r in rows] == ["Q-0", "Q-1"] and rows[0][4] == "в очереди"
