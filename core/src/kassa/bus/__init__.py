"""Event bus backends. The bus carries events from sources to the event log writer.

- ``memory`` (default): in-process; ``publish`` hands the event to the writer directly.
- ``nats``: JetStream; ``publish`` waits for the stream's ack (deduplicated by ``Nats-Msg-Id``),
  a durable consumer feeds the writer and acks only after the event log committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from kassa.model import Event

Deliver = Callable[[Event], Awaitable[bool]]


class Bus(Protocol):
    async def start(self, deliver: Deliver) -> None: ...
    async def publish(self, event: Event) -> bool: ...
    async def run(self) -> None: ...
    async def stop(self) -> None: ...


def make_bus(settings: object) -> Bus:
    backend = getattr(settings, "backend", "memory")
    if backend == "nats":
        from kassa import extras
        from kassa.bus.nats import NatsBus

        extras.require("nats", "bus.backend")

        return NatsBus(settings)  # type: ignore[arg-type]
    from kassa.bus.memory import MemoryBus

    return MemoryBus()
