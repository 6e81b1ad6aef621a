"""Typed answers of the admin API (see the contract in docs). Unknown keys are ignored so a
newer hub does not break an older console."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import field, frozen

from kassa.codec import from_dict
from kassa.model import Event
from kassa.model.report import Report


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _rows(value: Any) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in value)


@frozen
class Health:
    status: str
    name: str = ""
    version: str = ""
    uptime_s: float = 0.0
    locale: str = "ru"


@frozen
class SiteStatus:
    code: str
    name: str = ""
    online: bool | None = None
    since: datetime | None = None
    last_event_at: datetime | None = None
    events_today: int = 0
    checks_today: int = 0
    revenue_today: int = 0  # kopecks
    alerts_today: int = 0
    stations: tuple[str, ...] = field(default=(), converter=_tuple)


@frozen
class EventRecord:
    """An event with its position in the hub's log (``seq`` grows with every new event)."""

    seq: int
    event: Event


@frozen
class ButtonInfo:
    text: str
    data: str | None = None
    url: str | None = None


@frozen
class AttachmentInfo:
    filename: str
    mime: str = "application/octet-stream"


@frozen
class OutboxMessage:
    id: int
    channel: str
    chat_id: str
    status: str  # pending | sent | dead | merged
    text: str = ""  # HTML as sent
    thread_id: str | None = None
    attempts: int = 0
    kind: str = "alert"
    severity: str = "info"
    buttons: tuple[tuple[ButtonInfo, ...], ...] = field(default=(), converter=_rows)
    attachments: tuple[AttachmentInfo, ...] = field(default=(), converter=_tuple)
    event_id: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    remote_id: str | None = None


@frozen
class EventDetail:
    seq: int
    event: Event
    messages: tuple[OutboxMessage, ...] = field(default=(), converter=_tuple)


@frozen
class ChannelCounts:
    pending: int = 0
    sent: int = 0
    dead: int = 0


@frozen
class OutboxStats:
    pending: int = 0
    sent: int = 0
    dead: int = 0
    merged: int = 0
    by_channel: dict[str, ChannelCounts] = field(factory=dict)


@frozen
class ChatSummary:
    channel: str
    chat_id: str
    name: str = ""
    site: str | None = None
    owners: bool = False
    pending: int = 0
    sent: int = 0
    dead: int = 0


@frozen
class PluginInfo:
    name: str
    version: str | None = None
    hooks: tuple[str, ...] = field(default=(), converter=_tuple)


@frozen
class ComponentHealth:
    kind: str  # source | channel | device
    name: str
    site: str | None = None
    health: dict[str, Any] = field(factory=dict)

    @property
    def online(self) -> bool:
        return bool(self.health.get("online"))


@frozen
class PluginsInfo:
    plugins: tuple[PluginInfo, ...] = field(default=(), converter=_tuple)
    components: tuple[ComponentHealth, ...] = field(default=(), converter=_tuple)


@frozen
class ReportInfo:
    name: str
    title: str = ""


@frozen
class LogRecord:
    time: str
    level: str
    logger: str
    message: str


def parse(data: Any, cls: type[Any]) -> Any:
    """One place that turns API JSON into the types above (or core model types)."""
    return from_dict(data, cls)


__all__ = [
    "AttachmentInfo", "ButtonInfo", "ChannelCounts", "ChatSummary", "ComponentHealth",
    "EventDetail", "EventRecord", "Health", "LogRecord", "OutboxMessage", "OutboxStats",
    "PluginInfo", "PluginsInfo", "Report", "ReportInfo", "SiteStatus", "parse",
]
