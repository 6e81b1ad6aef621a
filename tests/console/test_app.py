"""Behaviour of the console against the fake hub over a real socket (Pilot)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from kassa.api.client import AdminClient
from kassa.i18n import kind_title
from kassa.model import Event
from kassa_console.app import ConsoleApp
from kassa_console.screens.chats import ChatsScreen
from kassa_console.screens.dashboard import DashboardScreen
from kassa_console.screens.event_detail import EventDetailScreen
from kassa_console.screens.events import EventsScreen
from kassa_console.screens.log import LogScreen
from kassa_console.screens.plugins import PluginsScreen
from kassa_console.screens.reports import ReportsScreen
from rich.console import Console
from textual.screen import Screen
from textual.widgets import DataTable, Input, ListView, Select, Static

from .conftest import T0, TOKEN, wait_for
from .fakehub import FakeHub, serve

pytestmark = pytest.mark.anyio


def make_app(url: str, **kw: Any) -> ConsoleApp:
    kw.setdefault("panels", [])
    return ConsoleApp(AdminClient(url, TOKEN), own_client=True, **kw)


def rows(app: ConsoleApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_keys_reach_every_screen(hub_url: str) -> None:
    app = make_app(hub_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: len(rows(app, "#sites")) == 2)
        assert "45\u00a0660,50 ₽" in rows(app, "#sites")[0]
        for key, cls in [("e", EventsScreen), ("c", ChatsScreen), ("r", ReportsScreen),
                         ("p", PluginsScreen), ("l", LogScreen), ("d", DashboardScreen)]:
            await pilot.press(key)

            def shown(cls: type[Screen[Any]] = cls) -> bool:
                return isinstance(app.screen, cls)

            await wait_for(pilot, shown)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles[:6] == ["Обзор", "События", "Чаты", "Отчёты", "Плагины", "Журнал"]


async def test_english(hub_url: str) -> None:
    app = make_app(hub_url, locale="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(rows(app, "#sites")) == 2)
        assert "45,660.50 ₽" in rows(app, "#sites")[0]
        assert app.screen.sub_title == "Dashboard"


async def test_events_filter_and_live_feed(hub_url: str, fake_hub: FakeHub) -> None:
    app = make_app(hub_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 6)
        assert [r[0] for r in rows(app, "#feed")] == ["6", "5", "4", "3", "2", "1"]
        app.screen.query_one("#f-employee", Input).focus()
        await pilot.press(*"сидор")
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 2)
        assert {r[4] for r in rows(app, "#feed")} == {"Сидоров"}
        # live: a matching event lands on top, another employee's does not show
        fake_hub.emit(Event.of(site="msk1", kind="check_closed", source_key="live-a",
                               occurred_at=T0, employee="Сидоров", amount=500, id="live-a"))
        fake_hub.emit(Event.of(site="msk1", kind="check_closed", source_key="live-b",
                               occurred_at=T0, employee="Иванова", amount=700, id="live-b"))
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 3)
        await pilot.pause(0.1)  # give the second event its chance to (wrongly) appear
        assert [r[0] for r in rows(app, "#feed")] == ["7", "6", "5"]
        assert "Показано событий: 3" in _text(app.screen, "#feed-count")
        app.screen.query_one("#f-kind", Select).value = "saved_dish_deleted"
        await wait_for(pilot, lambda: [r[0] for r in rows(app, "#feed")] == ["6"])
        assert rows(app, "#feed")[0][3] == kind_title("saved_dish_deleted")


async def test_enter_opens_event_with_its_messages(hub_url: str) -> None:
    app = make_app(hub_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 6)
        table = app.screen.query_one("#feed", DataTable)
        table.focus()
        table.move_cursor(row=4)  # seq 2: the cancelled precheck
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EventDetailScreen))
        screen = app.screen
        await wait_for(pilot, lambda: "Сообщения (1)" in _text(screen, "#detail-messages-title"))
        fields = _text(screen, "#detail-fields")
        assert "гость ушёл" in fields and "Борщ × 1.000" in fields
        assert "Отмена пречека" in _text(screen, "#detail-messages")
        assert "<b>" not in _text(screen, "#detail-messages")  # rendered, not raw HTML
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen))


async def test_report_request_and_csv(hub_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(hub_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query_one("#r-name", Select).value
                       == "sales_by_hour")
        await pilot.press("b")
        await wait_for(pilot, lambda: len(rows(app, "#r-table")) == 4)
        assert rows(app, "#r-table")[-1] == ["Итого", "10", "5\u00a0660,50 ₽"]
        assert app.screen.query_one("#r-chart").display
        await pilot.press("s")
        await wait_for(pilot, lambda: os.listdir(tmp_path))
    (name,) = os.listdir(tmp_path)
    csv_file = tmp_path / name
    assert csv_file.name == "kassa-sales_by_hour-all-20260302-20260303.csv"
    lines = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Час,Чеки,Выручка" and lines[2] == "10:00,5,3420.50"
    assert lines[-1] == ",10,5660.50"


async def test_dead_letter_retry(hub_url: str, fake_hub: FakeHub) -> None:
    app = make_app(hub_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: len(app.screen.query_one("#messages", ListView)) == 3)
        await pilot.press("x")
        await wait_for(pilot, lambda: "Недоставленные" in _text(app.screen, "#chat-title"))
        view = app.screen.query_one("#messages", ListView)
        await wait_for(pilot, lambda: len(view) == 1)
        assert "bot was kicked" in _text(view.children[0], "Static")
        view.focus()
        view.index = 0
        await pilot.press("t")
        await wait_for(pilot, lambda: fake_hub.messages[2]["status"] == "pending")
        await wait_for(pilot, lambda: len(view) == 0)
        # retrying a delivered message is refused by the hub and shown, not crashed on
        await pilot.press("x")
        await wait_for(pilot, lambda: len(view) == 3)
        view.index = 0
        await pilot.press("t")
        await wait_for(pilot, lambda: any("sent" in str(n.message) for n in app._notifications))


async def test_offline_banner_and_reconnect(fake_hub: FakeHub) -> None:
    server = serve(fake_hub)
    url = await server.__aenter__()
    port = int(url.rsplit(":", 1)[1])
    app = make_app(url, refresh_s=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        banner = app.screen.query_one("#banner")
        await wait_for(pilot, lambda: len(rows(app, "#sites")) == 2)
        assert not banner.display
        await server.__aexit__(None, None, None)
        await wait_for(pilot, lambda: banner.display, within=10)
        assert f"127.0.0.1:{port}" in _text(app.screen, "#banner")
        assert TOKEN not in _text(app.screen, "#banner")
        async with serve(fake_hub, port=port):
            await wait_for(pilot, lambda: not banner.display, within=10)


class DemoPanel:
    name, title, key = "demo", "Demo panel", "z"

    def screen(self, client: Any) -> Screen[None]:
        return Screen(name="demo-panel")


class ClashingPanel(DemoPanel):
    name, title, key = "clash", "Clashing panel", "e"  # "e" is Events


async def test_plugin_panel_gets_a_key_and_a_palette_entry(hub_url: str) -> None:
    app = make_app(hub_url, panels=[DemoPanel(), ClashingPanel()])
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Demo panel" in titles and "Clashing panel" in titles
        assert any("«e»" in str(n.message) for n in app._notifications)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.screen.name == "demo-panel")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


def _text(screen: Any, selector: str) -> str:
    """What a Static shows, as plain text (Rich renderables included)."""
    out = Console(width=200, file=io.StringIO(), record=True)
    out.print(screen.query_one(selector, Static).content)
    return out.export_text()


async def test_wrong_token_is_said_once(hub_url: str) -> None:
    app = ConsoleApp(AdminClient(hub_url, "wrong"), panels=[], own_client=True, refresh_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: not app.online)  # the stream gives up on 401
        await pilot.pause(0.5)  # several refreshes fail meanwhile
        texts = [str(n.message) for n in app._notifications]
        assert sum("bad or missing token" in t for t in texts) == 1
        assert "wrong" not in "".join(texts)
