"""Behaviour of the console against the fake hub over a real socket (Pilot)."""

from __future__ import annotations

import io
import os
from datetime import timedelta
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
        assert "45\u00a0660,50\u00a0₽" in rows(app, "#sites")[0]
        for key, cls in [("e", EventsScreen), ("c", ChatsScreen), ("r", ReportsScreen),
                         ("p", PluginsScreen), ("l", LogScreen), ("d", DashboardScreen)]:
            await pilot.press(key)

            def shown(cls: type[Screen[Any]] = cls) -> bool:
                return isinstance(app.screen, cls)

            await wait_for(pilot, shown)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert titles[:6] == ["Обзор", "События", "Чаты", "Отчёты", "Плагины", "Журнал"]
        # Textual's own commands too, and the footer's palette key
        assert {"Тема", "Выход", "Клавиши", "Снимок экрана"} <= set(titles)
        assert not {"Theme", "Quit", "Keys", "Screenshot"} & set(titles)
        assert all(c.help and not c.help.startswith(("Change", "Quit", "Show", "Save"))
                   for c in commands)
        palette = app.active_bindings[ConsoleApp.COMMAND_PALETTE_BINDING].binding
        assert (palette.action, palette.description) == ("command_palette", "команды")
        assert palette.tooltip == "Найти команду…"


async def test_english(hub_url: str) -> None:
    app = make_app(hub_url, locale="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(rows(app, "#sites")) == 2)
        assert "45,660.50\u00a0₽" in rows(app, "#sites")[0]
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
                               occurred_at=T0 + timedelta(hours=1), employee="Сидоров",
                               amount=500, id="live-a"))
        fake_hub.emit(Event.of(site="msk1", kind="check_closed", source_key="live-b",
                               occurred_at=T0, employee="Иванова", amount=700, id="live-b"))
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 3)
        await pilot.pause(0.1)  # give the second event its chance to (wrongly) appear
        assert [r[0] for r in rows(app, "#feed")] == ["7", "6", "5"]
        assert "Показано: 3 события" in _text(app.screen, "#feed-count")
        # a late event (caught up after an outage) takes its place in time, not the top
        fake_hub.emit(Event.of(site="msk1", kind="check_closed", source_key="live-c",
                               occurred_at=T0, employee="Сидоров", amount=900, id="live-c"))
        await wait_for(pilot, lambda: len(rows(app, "#feed")) == 4)
        assert [r[0] for r in rows(app, "#feed")] == ["7", "6", "5", "9"]
        assert "Показано: 4 события" in _text(app.screen, "#feed-count")
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
        assert "Отмена пречека · Невский · #2" in _text(screen, "#detail-title")  # not spb2
        fields = _text(screen, "#detail-fields")
        assert "гость ушёл" in fields and "Борщ × 1  540,00\xa0₽" in fields
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
        await pilot.press("g")
        await wait_for(pilot, lambda: len(rows(app, "#r-table")) == 4)
        assert rows(app, "#r-table")[-1] == ["Итого", "10", "5\u00a0660,50\u00a0₽"]
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
        assert "Управляющие · telegram" in _text(app.screen, "#chat-title")  # not its id
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
        assert sum("Неверный токен" in t for t in texts) == 1
        assert not any("недоступен" in t for t in texts)  # the hub is there: not "unreachable"
        assert "wrong" not in "".join(texts)
        assert "неверный" in _text(app.screen, "#banner")


async def test_hub_down_is_unreachable_not_a_token(fake_hub: FakeHub) -> None:
    async with serve(fake_hub) as url:
        pass  # the port is free again: connection refused
    app = ConsoleApp(AdminClient(url, TOKEN), panels=[], own_client=True, refresh_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: not app.online, within=15)
        texts = [str(n.message) for n in app._notifications]
        assert not any("токен" in t for t in texts) and not app.unauthorized
        assert "Нет связи с хабом" in _text(app.screen, "#banner")


async def test_plugins_screen_reads_health(hub_url: str, fake_hub: FakeHub) -> None:
    fake_hub.components.append({"kind": "channel", "name": "max", "site": None,
                                "health": {"sent": 0, "last_error": "401 Unauthorized"}})
    app = make_app(hub_url)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: len(rows(app, "#components")) == 3)
        health = {r[1]: r[3] for r in rows(app, "#components")}
        assert [r[0] for r in rows(app, "#components")] == ["канал", "источник", "канал"]
        # a channel that delivers is online though its health() has no "online" key
        assert health["telegram"].startswith("● на связи") and "Отправлено: 12" in health[
            "telegram"]
        assert health["max"].startswith("● нет связи")
        assert "Последняя ошибка: 401 Unauthorized" in health["max"]
        assert "Расхождение часов: 14 ч 59 мин" in health["rkeeper"]
        text = " ".join(health.values())
        assert "None" not in text and "=" not in text and "clock_skew_s" not in text


async def test_event_detail_reads_as_words(hub_url: str, fake_hub: FakeHub) -> None:
    fake_hub.emit(Event.of(site="msk1", kind="precheck_cancelled", source_key="rk-1",
                           occurred_at=T0 + timedelta(hours=2), id="rk-1",
                           severity="notice", data={"notify_name": "Отмена пречека",
                                                    "situation": "16", "shift": None,
                                                    "outage_s": 125.0}))
    fake_hub.add_message(channel="telegram", chat_id="-100200", status="pending",
                         event_id="rk-1", kind="report", text="")
    fake_hub.add_message(channel="max", chat_id="77", status="sent", event_id="rk-1",
                         kind="report", text="")
    app = make_app(hub_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await app.push_screen(EventDetailScreen("rk-1"))
        await wait_for(pilot, lambda: "Сообщения (2)" in _text(app.screen,
                                                                "#detail-messages-title"))
        fields = _text(app.screen, "#detail-fields")
        assert "Важность" in fields and "к сведению" in fields and "notice" not in fields
        assert "Уведомление" in fields and "Ситуация r_keeper" in fields
        assert "Без связи" in fields and "2 мин 5 с" in fields
        assert "notify_name" not in fields and "situation" not in fields
        assert "None" not in fields and "Смена" not in fields  # nothing for None
        messages = _text(app.screen, "#detail-messages")
        assert "Отчёт: строится в момент отправки" in messages and "отчёт" in messages
        assert "Отчёт отправлен" in messages  # a sent one says so, never an empty box


@pytest.mark.parametrize("locale", ["ru", "en"])
async def test_footer_fits_80_columns_with_every_installed_panel(hub_url: str,
                                                                 locale: str) -> None:
    """The installed plugins' panels (loyalty, delivery...) add keys; the footer still fits
    80 columns, dropping the last keys (they keep working: pressing one switches)."""
    from textual.widgets import Footer

    app = make_app(hub_url, panels=None, locale=locale)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert len(app.mode_keys) > 8  # more keys than 80 columns hold
        for key in ["d", "e", "p", "l"]:
            await pilot.press(key)
            await pilot.pause(0.1)
            footer = app.screen.query_one(Footer)
            assert footer.virtual_size.width <= 80, (key, footer.virtual_size.width)
        hidden = [k for k, m in app.mode_keys.items()
                  if not app.active_bindings[k].binding.show]
        assert hidden  # some key had to go, and it still works
        await pilot.press(hidden[-1])
        await wait_for(pilot, lambda: app.current_mode == f"{app.mode_keys[hidden[-1]]}")
