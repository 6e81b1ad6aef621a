"""Test kit for plugin authors: a hub on a temporary SQLite file, a capturing channel, a
scripted source, a controllable clock, and throwaway plugin registration.

    async with make_hub({"sites": [...], "chats": [...]}, tmp_path, plugins=[MyPlugin()]) as hub:
        await hub.emit(event)
        await hub.drain()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from kassa import hookimpl
from kassa.config import parse
from kassa.errors import Permanent, RetryLater
from kassa.hub import Hub
from kassa.model import ChannelLimits, ChatRef, Delivery, Event, Incoming, Message
from kassa.plugins import Plugins, new_manager
from kassa.supervision import Backoff


class FakeClock:
    """A clock you move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class CaptureChannel:
    """A channel that records what it is asked to send; it can fail on demand.

    ``fail_next(exc, times)`` makes the next sends raise; ``push(incoming)`` feeds an update.
    ``clock`` stamps deliveries; registered through ``ComponentsPlugin`` it is the hub's.
    """

    def __init__(self, name: str = "capture", limits: ChannelLimits | None = None,
                 groups: Sequence[str] = (), clock: Any = None) -> None:
        self.name = name
        self.clock = clock
        self.limits = limits or ChannelLimits(per_chat_per_s=1000, per_group_per_min=100000,
                                              per_bot_per_s=1000)
        self.sent: list[Message] = []
        self.callbacks: list[str] = []
        self.groups = set(groups)
        self._failures: list[BaseException] = []
        self._send, self._recv = anyio.create_memory_object_stream[Incoming](1000)
        self._n = 0

    def fail_next(self, exc: BaseException, times: int = 1) -> None:
        self._failures.extend([exc] * times)

    async def send(self, message: Message) -> Delivery:
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)
        self._n += 1
        return Delivery(remote_id=str(self._n), sent_at=_now(self.clock))

    async def updates(self) -> AsyncIterator[Incoming]:
        async with self._recv:
            async for inc in self._recv:
                yield inc

    async def push(self, inc: Incoming) -> None:
        await self._send.send(inc)

    async def answer_callback(self, incoming: Incoming, text: str | None = None) -> None:
        self.callbacks.append(incoming.callback_id or "")

    def is_group(self, chat: ChatRef) -> bool:
        return chat.chat_id in self.groups or chat.chat_id.startswith("-")

    def health(self) -> dict[str, Any]:
        return {"online": True, "sent": len(self.sent)}

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [m.text for m in self.sent if chat_id is None or m.chat.chat_id == chat_id]


class ScriptedSource:
    """Emits the given events in order, then waits to be cancelled."""

    def __init__(self, events: Sequence[Event], site: str = "s1", name: str = "scripted",
                 delay: float = 0.0) -> None:
        self.events = list(events)
        self.site = site
        self.name = name
        self.delay = delay
        self.results: list[bool] = []

    async def run(self, emit: Any) -> None:
        for e in self.events:
            self.results.append(await emit(e))
            if self.delay:
                await anyio.sleep(self.delay)
        await anyio.sleep_forever()

    def health(self) -> dict[str, Any]:
        return {"online": True, "emitted": len(self.results)}


async def eventually(condition: Any, *, hub: Hub | None = None, within: float = 20.0) -> None:
    """Wait until ``condition()`` (sync or async) is true, letting ``hub`` make progress
    meanwhile. Generous by default: it returns as soon as the condition holds, so a loaded
    CI machine gets time without slowing a quiet one."""
    with anyio.fail_after(within):
        while True:
            ok = condition()
            if hasattr(ok, "__await__"):
                ok = await ok
            if ok:
                return
            if hub is not None:
                await hub.drain(timeout=0.05)
                # an idle hub drains at once: without a pause the condition (often an API
                # call) is asked hundreds of times a second, a load of its own on CI
                await anyio.sleep(0.01)
            else:
                await anyio.sleep(0.05)


class ComponentsPlugin:
    """Registers ready-made components (channels, sources) as a plugin would."""

    def __init__(self, *, channels: Sequence[Any] = (), sources: Sequence[Any] = ()) -> None:
        self.channels = list(channels)
        self.sources_ = list(sources)

    @hookimpl
    def register_channels(self, hub: Any) -> list[Any]:
        for ch in self.channels:  # a channel that keeps time keeps the hub's (fake) clock
            if hasattr(ch, "clock") and ch.clock is None:
                ch.clock = hub.clock
        return self.channels

    @hookimpl
    def register_sources(self) -> list[Any]:
        return self.sources_


def incoming(text: str | None = None, *, chat_id: str = "-100", user_id: str = "1",
             channel: str = "capture", callback: str | None = None,
             update_id: str | None = None, clock: Any = None, **kw: Any) -> Incoming:
    """An incoming update for tests, received at ``clock.now()`` (a hub: its clock; none:
    the clock of the hub ``make_hub`` is running, outside one the wall clock)."""
    incoming.n += 1  # type: ignore[attr-defined]
    return Incoming(channel=channel, update_id=update_id or str(incoming.n),  # type: ignore[attr-defined]
                    chat_id=chat_id, user_id=user_id, received_at=_now(clock), text=text,
                    callback_data=callback, callback_id="cb" if callback else None, **kw)


incoming.n = 0  # type: ignore[attr-defined]


# the clock of the hub make_hub is running (a test's FakeClock drives what the kit stamps)
_CLOCK: ContextVar[Any] = ContextVar("kassa_testing_clock", default=None)


def _now(clock: Any = None) -> datetime:
    """``clock``'s time (a hub: its injected clock), else make_hub's hub's, else the wall's."""
    clock = getattr(clock, "clock", clock) or _CLOCK.get()
    return clock.now() if clock is not None else datetime.now(UTC)


@asynccontextmanager
async def make_hub(config: Mapping[str, Any], tmp_path: Path | str, *,
                   plugins: Sequence[Any] = (), entry_points: bool = False,
                   clock: Any = None, api: bool = False,
                   backoff: Backoff | None = None) -> AsyncIterator[Hub]:
    """A running hub on ``tmp_path/kassa.db`` with the built-ins plus ``plugins``.

    ``entry_points=True`` also loads installed plugins (as ``kassa run`` does);
    ``backoff=Backoff(0.01, 0.05)`` makes crashed loops and failed devices restart quickly.
    """
    pm = new_manager(entry_points=entry_points, extra=plugins)
    facade = Plugins(pm)
    data = dict(config)
    data.setdefault("store", {"url": f"sqlite+aiosqlite:///{Path(tmp_path) / 'kassa.db'}"})
    data.setdefault("hub", {})
    data["hub"] = {"data_dir": str(tmp_path), **data["hub"]}
    api_cfg = dict(data.get("api", {}))
    api_cfg.setdefault("port", 0)
    api_cfg.setdefault("token", "test-token")
    data["api"] = api_cfg
    settings = parse(data, sections=facade.settings_sections())
    async with Hub(settings, plugins=facade, clock=clock, api=api, backoff=backoff) as hub:
        token = _CLOCK.set(hub.clock)  # incoming() and CaptureChannel keep this hub's time
        try:
            yield hub
        finally:
            _CLOCK.reset(token)


# the contract suites import pytest, the fakes sqlite3: loaded when first named
_CONTRACTS = ("AccountPaymentContract", "CardTerminalContract", "ChannelContract",
              "EventSourceContract", "FiscalDeviceContract",
              "GuestServiceContract", "LoyaltyProgramContract", "PrinterContract",
              "ScaleContract", "ScannerContract", "VideoSinkContract", "sample_receipt")
_FAKES = ("FakeAccount", "FakeLoyalty", "FakePrinter", "FakeRegister", "FakeScale",
          "FakeTerminal")
_LAZY = {name: "kassa.testing.contracts" for name in _CONTRACTS} | {
    name: "kassa.testing.fakes" for name in _FAKES}


if TYPE_CHECKING:  # what the lazy names are, for plugin authors' type checkers
    from kassa.testing.contracts import (
        AccountPaymentContract,
        CardTerminalContract,
        ChannelContract,
        EventSourceContract,
        FiscalDeviceContract,
        GuestServiceContract,
        LoyaltyProgramContract,
        PrinterContract,
        ScaleContract,
        ScannerContract,
        VideoSinkContract,
        sample_receipt,
    )
    from kassa.testing.fakes import (
        FakeAccount,
        FakeLoyalty,
        FakePrinter,
        FakeRegister,
        FakeScale,
        FakeTerminal,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kassa.testing' has no attribute {name!r}")


__all__ = [
    "AccountPaymentContract",
    "Backoff",
    "CaptureChannel",
    "CardTerminalContract",
    "ChannelContract",
    "ComponentsPlugin",
    "EventSourceContract",
    "FakeAccount",
    "FakeClock",
    "FakeLoyalty",
    "FakePrinter",
    "FakeRegister",
    "FakeScale",
    "FakeTerminal",
    "FiscalDeviceContract",
    "GuestServiceContract",
    "LoyaltyProgramContract",
    "Permanent",
    "PrinterContract",
    "RetryLater",
    "ScaleContract",
    "ScannerContract",
    "ScriptedSource",
    "VideoSinkContract",
    "eventually",
    "incoming",
    "make_hub",
    "sample_receipt",
]
