"""The console's Loyalty screen against a real hub: find a guest, see balances and history."""

from __future__ import annotations

import anyio
import httpx
import kassa_bonus
import pytest
from kassa.api.client import AdminClient
from kassa.testing import make_hub
from kassa_bonus.console import LoyaltyPanel, LoyaltyScreen
from kassa_bonus.service import service_for
from kassa_console.app import ConsoleApp
from textual.widgets import DataTable, Input, Static

pytestmark = pytest.mark.anyio
KEY = "console-key-123"
CONFIG = {"bonus": {"schedule_seconds": 0, "api_keys": [
    {"name": "console", "key": KEY, "scopes": ["read"]}]},
    "sites": [{"code": "r1", "name": "Суши на Невском"}]}


async def find(app, pilot, text: str) -> LoyaltyScreen:
    await pilot.press("b")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, LoyaltyScreen)
    await settled(app, pilot, pilot.press(*text, "enter"))
    return screen


async def settled(app, pilot, action) -> None:
    """Wait for the look-up (not for all workers: the console's event stream never ends)."""
    screen, before = app.screen, app.screen.lookups
    await action
    with anyio.fail_after(10):
        while screen.lookups == before:
            await pilot.pause(0.02)
    await pilot.pause()


def cells(screen: LoyaltyScreen, table_id: str) -> list[list[str]]:
    table = screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_find_a_guest_by_phone_and_see_balances_and_history(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSA_BONUS_API_KEY", KEY)
    async with make_hub(CONFIG, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        svc = await service_for(hub)
        g = await svc.register("t", "g", name="Анна Петрова", phone="+7 916 123-45-67",
                               card="4455")
        acc = await svc.guests.account_of(g.guest, "bonus")
        await svc.ledger.earn("t", "e", acc, 150000, site="r1", order_ref="17")
        await svc.ledger.spend("t", "s", acc, 20000, site="r1", order_ref="18")
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        app = ConsoleApp(client, panels=[LoyaltyPanel()], own_client=True)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await find(app, pilot, "89161234567")
            head = str(screen.query_one("#loyalty-guest", Static).render())
            assert "Анна Петрова" in head and "+79161234567" in head and "4455" in head
            # points in the console's number format, operations and restaurants by name
            assert cells(screen, "#loyalty-balances")[0][:3] == ["Бонусы", "1\xa0300,00",
                                                                 "1\xa0300,00"]
            history = cells(screen, "#loyalty-history")
            assert [(r[1], r[2], r[3], r[4]) for r in history] == [
                ("Списание", "-200,00", "Суши на Невском", "18"),
                ("Начисление", "1\xa0500,00", "Суши на Невском", "17")]
            screen.query_one("#loyalty-find", Input).value = ""
            await settled(app, pilot, pilot.press(*"0000", "enter"))
            assert any("Гость не найден: 0000" in str(n.message)
                       for n in app._notifications)


async def test_without_a_key_the_admin_token_reads(tmp_path, monkeypatch):
    monkeypatch.delenv("KASSA_BONUS_API_KEY", raising=False)
    monkeypatch.setenv("KASSA_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.chdir(tmp_path)
    async with make_hub(CONFIG, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        svc = await service_for(hub)
        await svc.register("t", "g", name="Анна", card="4455")
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        app = ConsoleApp(client, panels=[LoyaltyPanel()], own_client=True)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await find(app, pilot, "4455")
            assert screen.guest is not None and screen.guest["name"] == "Анна"
        base = f"http://127.0.0.1:{hub.api_port}/api/bonus/v1"
        async with httpx.AsyncClient(base_url=base) as http:  # the token only reads
            bearer = {"Authorization": f"Bearer {hub.api_token}"}
            assert (await http.get("/identify", params={"identifier": "4455"},
                                   headers=bearer)).status_code == 200
            assert (await http.post("/earn", json={"account": "x", "amount": 1}, headers={
                **bearer, "Idempotency-Key": "k"})).status_code == 401
            assert (await http.get("/identify", params={"identifier": "4455"}, headers={
                "Authorization": "Bearer wrong"})).status_code == 401


async def test_the_screen_speaks_the_consoles_locale_and_shows_a_refusal(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSA_BONUS_API_KEY", "not-a-key-0000")
    async with make_hub(CONFIG, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        app = ConsoleApp(client, "en", panels=[LoyaltyPanel()], own_client=True)
        async with app.run_test(size=(120, 40)) as pilot:
            # the palette's help line is the plugin's own text, in the console's locale
            assert app.modes["panel-bonus"] == (
                "Loyalty", "A guest by phone or card: balance, level, history")
            screen = await find(app, pilot, "4455")
            assert str(screen.query_one("#loyalty-guest", Static).render()).startswith(
                "Find a guest")
            assert any("Loyalty server: missing or unknown X-Api-Key" in str(n.message)
                       for n in app._notifications)
    assert LoyaltyPanel().title == "Лояльность"  # outside a console: Russian


async def test_admin_client_request_reaches_a_plugin_route(tmp_path):
    from kassa.api.client import ApiError

    async with make_hub(CONFIG, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        svc = await service_for(hub)
        await svc.register("t", "g", name="Анна", card="4455")
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        try:
            guest = await client.request("GET", "/api/bonus/v1/identify",
                                         params={"identifier": "4455"},
                                         headers={"X-Api-Key": KEY})
            assert guest["name"] == "Анна"
            with pytest.raises(ApiError) as refused:
                await client.request("POST", "/api/bonus/v1/earn", json={"account": "x",
                                     "amount": 1}, headers={"X-Api-Key": KEY,
                                                            "Idempotency-Key": "k"})
            assert (refused.value.status, refused.value.code) == (403, "forbidden")
            assert await client.request("GET", "/api/health") is not None  # the token is sent
        finally:
            await client.aclose()


async def test_the_keyboard_is_not_trapped_in_the_search_field(tmp_path, monkeypatch):
    from kassa_console.screens.dashboard import DashboardScreen
    from kassa_console.screens.events import EventsScreen

    monkeypatch.setenv("KASSA_BONUS_API_KEY", KEY)
    async with make_hub(CONFIG, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        app = ConsoleApp(client, panels=[LoyaltyPanel()], own_client=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("b")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LoyaltyScreen)
            field = screen.query_one("#loyalty-find", Input)
            await pilot.press("d", "q")  # typed: the field has the focus
            assert field.value == "dq" and app.screen is screen
            await pilot.press("escape")  # leaves the field, stays on the screen
            assert app.screen is screen and not field.has_focus
            await pilot.press("e")  # the console's keys work again
            await pilot.pause()
            shown = app.screen  # narrowed apart: the next key changes app.screen again
            assert isinstance(shown, EventsScreen)
            await pilot.press("b")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("slash")
            assert field.has_focus
            await pilot.press("escape", "escape")  # out of the field, then off the screen
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)
