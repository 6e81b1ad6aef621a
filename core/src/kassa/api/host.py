"""What the admin API reads from the running hub, as a typed Protocol: the API takes it
explicitly and never imports ``kassa.hub`` (the hub builds the API, not the other way)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kassa.reports.service import ReportHost

if TYPE_CHECKING:
    from kassa.eventlog import EventLog
    from kassa.hookspecs.events import EventSource
    from kassa.hookspecs.notify import Channel
    from kassa.model import Event
    from kassa.outbox import Outbox
    from kassa.routing import Router
    from kassa.store import Store
    from kassa.supervision import DeviceKeeper, Supervisor


class AdminHost(ReportHost, Protocol):
    """``kassa.hub.Hub`` satisfies it; a test can pass anything that does. (Reports are
    built through ``kassa.reports.service``, hence ``ReportHost``.)"""

    @property
    def api_token(self) -> str: ...
    @property
    def started_at(self) -> float: ...  # time.monotonic() at start
    @property
    def store(self) -> Store: ...  # read through eventlog's and outbox's own queries
    @property
    def outbox(self) -> Outbox: ...  # retrying dead letters
    @property
    def log(self) -> EventLog: ...  # whether the store takes writes (health)
    @property
    def router(self) -> Router: ...  # the chats and their effective settings
    @property
    def sources(self) -> Sequence[EventSource]: ...
    @property
    def channels(self) -> Mapping[str, Channel]: ...
    @property
    def supervisor(self) -> Supervisor: ...
    @property
    def device_keeper(self) -> DeviceKeeper: ...
    @property
    def site_state(self) -> Mapping[str, dict[str, Any]]: ...

    def listen(self) -> asyncio.Queue[tuple[int, Event]]: ...
    def unlisten(self, q: asyncio.Queue[tuple[int, Event]]) -> None: ...
    def secret_values(self) -> list[str]: ...


__all__ = ["AdminHost"]
