"""How the main screens look at 80x24 (the smallest terminal the console supports), with
fixed data (the fake hub in-process, no clock shown).
Update after an intended change: ``uv run pytest tests/console --snapshot-update``; then
``python tests/console/export_docs_img.py`` copies them to docs/img for the operator guide."""

from __future__ import annotations

from typing import Any

import httpx
from kassa.api.client import AdminClient
from kassa_console.app import ConsoleApp
from kassa_console.screens.event_detail import EventDetailScreen
from textual.widgets import DataTable, ListView

from .conftest import TOKEN, make_fake_hub, wait_for


def snapshot_app(locale: str = "ru") -> ConsoleApp:
    client = AdminClient("http://hub.test", TOKEN,
                         transport=httpx.ASGITransport(app=make_fake_hub()))
    return ConsoleApp(client, locale, panels=[], refresh_s=3600)


def table_rows(pilot: Any, selector: str, n: int) -> Any:
    return lambda: pilot.app.screen.query_one(selector, DataTable).row_count == n


def test_dashboard(snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await wait_for(pilot, table_rows(pilot, "#sites", 2))
        await wait_for(pilot, lambda: "Очередь" in str(pilot.app.screen.query_one("#outbox")
                                                       .content))

    assert snap_compare(snapshot_app(), run_before=ready, terminal_size=(80, 24))


def test_dashboard_english_wide(snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await wait_for(pilot, table_rows(pilot, "#sites", 2))
        await wait_for(pilot, lambda: "Outbox" in str(pilot.app.screen.query_one("#outbox")
                                                      .content))

    assert snap_compare(snapshot_app("en"), run_before=ready, terminal_size=(120, 32))


def test_events(snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await pilot.press("e")
        await wait_for(pilot, lambda: pilot.app.screen.id != "_default"
                       and bool(pilot.app.screen.query("#feed")))
        await wait_for(pilot, table_rows(pilot, "#feed", 6))

    assert snap_compare(snapshot_app(), run_before=ready, terminal_size=(80, 24))


def test_event_detail(snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await pilot.press("e")
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#feed")))
        await wait_for(pilot, table_rows(pilot, "#feed", 6))
        pilot.app.screen.query_one("#feed", DataTable).move_cursor(row=4)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, EventDetailScreen))
        await wait_for(pilot, lambda: "(1)" in str(
            pilot.app.screen.query_one("#detail-messages-title").content))

    assert snap_compare(snapshot_app(), run_before=ready, terminal_size=(80, 24))


def test_chats(snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await pilot.press("c")
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#messages")))
        await wait_for(pilot, lambda: len(pilot.app.screen.query_one("#messages", ListView))
                       == 3)

    assert snap_compare(snapshot_app(), run_before=ready, terminal_size=(80, 24))


def test_reports(snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#r-name")))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#r-name").value
                       == "sales_by_hour")
        await pilot.press("g")
        await wait_for(pilot, table_rows(pilot, "#r-table", 4))
        await pilot.pause(0.1)  # the chart draws on the next refresh

    assert snap_compare(snapshot_app(), run_before=ready, terminal_size=(80, 24))
