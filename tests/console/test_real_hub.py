"""The console against the real hub and its admin API (``kassa.testing.make_hub``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kassa.api.client import AdminClient
from kassa.errors import Permanent
from kassa.i18n import kind_title
from kassa.testing import CaptureChannel, ComponentsPlugin, make_hub
from kassa_console.app import ConsoleApp
from kassa_console.screens.event_detail import EventDetailScreen
from kassa_console.screens.reports import ReportsScreen
from textual.widgets import DataTable, ListView, Select

from .conftest import sample_events, wait_for
from .test_app import _text, rows

pytestmark = pytest.mark.anyio

CONFIG = {
    "sites": [{"code": "msk1", "name": "Тверская"}, {"code": "spb2", "name": "Невский"}],
    "chats": [{"channel": "capture", "chat_id": "-100", "owners": True, "name": "Управляющие"}],
}


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[Any, CaptureChannel, ConsoleApp]]:
    channel = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[channel])],
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", "test-token")
        yield hub, channel, ConsoleApp(client, panels=[], own_client=True, refresh_s=0.3)


async def test_events_live_and_detail(live: tuple[Any, CaptureChannel, ConsoleApp]) -> None:
    hub, channel, app = live
    first, *rest = sample_events()
    await hub.emit(first)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(rows(app, "#sites")) == 2)
        await pilot.press("e")
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 1)
        for e in rest:  # arrive over the SSE stream while the screen is open
            await hub.emit(e)
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 6)
        assert rows(app, "#feed")[0][3] == kind_title("saved_dish_deleted")  # newest on top
        await hub.drain()
        table = app.screen.query_one("#feed", DataTable)
        table.focus()
        table.move_cursor(row=4)  # the cancelled precheck: danger, sent to the owners' chat
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EventDetailScreen))
        screen = app.screen
        await wait_for(pilot, lambda: "(1)" in _text(screen, "#detail-messages-title"))
        assert "capture:-100" in _text(screen, "#detail-messages")
        assert channel.sent


async def test_dead_letter_retry_on_the_real_outbox(
        live: tuple[Any, CaptureChannel, ConsoleApp]) -> None:
    hub, channel, app = live
    channel.fail_next(Permanent("chat not found"))
    await hub.emit(sample_events()[1])
    await hub.drain()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await pilot.press("x")
        view = app.screen.query_one("#messages", ListView)
        await wait_for(pilot, lambda: len(view) == 1)
        assert "chat not found" in _text(view.children[0], "Static")
        view.focus()
        view.index = 0
        await pilot.press("t")
        await wait_for(pilot, lambda: len(view) == 0)
        await wait_for(pilot, lambda: len(channel.sent) == 1)  # the outbox worker sent it


async def test_a_real_report(live: tuple[Any, CaptureChannel, ConsoleApp]) -> None:
    hub, _, app = live
    for e in sample_events():
        await hub.emit(e)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen.query_one("#r-name", Select).value,
                                                 str))
        await pilot.press("g")
        await wait_for(pilot, lambda: "·" in _text(app.screen, "#r-title"))
        assert isinstance(app.screen, ReportsScreen) and app.screen.report is not None
