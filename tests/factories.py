"""Small builders shared by the core tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kassa.model import Event, Line

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# the shape of a parsed kassa.toml
CONFIG: dict[str, Any] = {
    "sites": [{"code": "s1", "name": "Суши на Невском"}, {"code": "s2", "name": "Суши на Мойке"}],
    "chats": [
        {"channel": "capture", "chat_id": "-1", "site": "s1", "name": "Невский",
         "auto_reports": ["event_summary"], "admins": ["9"]},
        {"channel": "capture", "chat_id": "-2", "owners": True, "name": "Владельцы"},
    ],
}


def ev(kind: str = "check_deleted", key: str = "k1", site: str = "s1", **kw: object) -> Event:
    kw.setdefault("employee", "Иванова")
    kw.setdefault("amount", 29000)
    kw.setdefault("lines", [Line(name="Ролл Бонито", quantity=1, amount=41000)])
    kw.setdefault("occurred_at", T0)
    return Event.of(site=site, kind=kind, source_key=key, **kw)  # type: ignore[arg-type]
