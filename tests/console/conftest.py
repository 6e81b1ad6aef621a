"""Fixtures for the console tests: a fake hub with fixed, deterministic data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from kassa.model import Event, Line

from .fakehub import FakeHub, serve

TOKEN = "s3cret-token-value"
MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)

SITES = [
    {"code": "msk1", "name": "Тверская", "online": True, "since": "2026-03-02T08:55:00+03:00",
     "last_event_at": "2026-03-02T10:05:00+03:00", "events_today": 41, "checks_today": 17,
     "revenue_today": 4566050, "alerts_today": 2, "stations": ["K1", "K2"]},
    {"code": "spb2", "name": "Невский", "online": False, "since": "2026-03-02T09:40:00+03:00",
     "last_event_at": "2026-03-02T09:39:00+03:00", "events_today": 12, "checks_today": 4,
     "revenue_today": 1210000, "alerts_today": 5, "stations": ["K1"]},
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sample_events() -> list[Event]:
    """Six events over two sites, fixed ids and times (snapshots depend on them)."""
    spec: list[tuple[str, str, dict[str, Any]]] = [
        ("msk1", "check_closed", {"employee": "Иванова", "amount": 125000, "order": "12"}),
        ("spb2", "precheck_cancelled", {"employee": "Петров", "amount": 54000,
                                        "reason": "гость ушёл",
                                        "lines": [Line("Борщ", "1", 54000)]}),
        ("msk1", "discount_added", {"employee": "Иванова", "text": "скидка 10%"}),
        ("spb2", "site_offline", {}),
        ("msk1", "check_closed", {"employee": "Сидоров", "amount": 99000, "order": "13"}),
        ("msk1", "saved_dish_deleted", {"employee": "Сидоров", "reason": "ошибка официанта",
                                        "manager": "Ким"}),
    ]
    return [Event.of(site=site, kind=kind, source_key=f"k{i}", id=f"ev{i:02d}",
                     occurred_at=T0 + timedelta(minutes=7 * i), station="K1", **kw)
            for i, (site, kind, kw) in enumerate(spec)]


def make_fake_hub() -> FakeHub:
    hub = FakeHub(TOKEN, sites=SITES)
    for e in sample_events():
        hub.emit(e)
    hub.chats = [
        {"channel": "telegram", "chat_id": "-100200", "name": "Управляющие", "site": None,
         "owners": True, "pending": 0, "sent": 2, "dead": 1},
        {"channel": "max", "chat_id": "77", "name": "Тверская смена", "site": "msk1",
         "owners": False, "pending": 1, "sent": 0, "dead": 0},
    ]
    hub.add_message(channel="telegram", chat_id="-100200", status="sent", event_id="ev01",
                    text="<b>Отмена пречека</b> на <i>spb2</i>\nБорщ × 1 — <code>540,00 ₽</code>",
                    sent_at="2026-03-02T09:07:02+03:00", remote_id="501",
                    buttons=[[{"text": "Подробнее", "data": "ev:ev01", "url": None}]])
    hub.add_message(channel="telegram", chat_id="-100200", status="sent", event_id="ev05",
                    text="<b>Удаление блюда</b> <a href=\"https://example.org\">журнал</a>",
                    sent_at="2026-03-02T09:35:01+03:00", remote_id="502")
    hub.add_message(channel="telegram", chat_id="-100200", status="dead", event_id="ev03",
                    text="<b>Точка spb2 не на связи</b>", attempts=5,
                    last_error="Forbidden: bot was kicked from the group chat")
    hub.add_message(channel="max", chat_id="77", status="pending", event_id="ev04",
                    text="Чек №13 закрыт: <b>990,00 ₽</b>")
    hub.log = [{"time": "2026-03-02T09:00:00+03:00", "level": "INFO", "logger": "kassa.hub",
                "message": "hub started, 2 sites"},
               {"time": "2026-03-02T09:40:00+03:00", "level": "WARNING",
                "logger": "kassa.rkeeper", "message": "spb2: no answer from cash server"}]
    return hub


@pytest.fixture
def fake_hub() -> FakeHub:
    return make_fake_hub()


@pytest.fixture
async def hub_url(fake_hub: FakeHub) -> AsyncIterator[str]:
    async with serve(fake_hub) as url:
        yield url


async def wait_for(pilot: Any, condition: Callable[[], Any], *, within: float = 10.0) -> None:
    """Let the app work until ``condition()`` is true; fail after ``within`` seconds."""
    steps = int(within / 0.02)
    for _ in range(steps):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition not met in {within}s: {condition}")
