"""The in-process bus: publishing is persisting."""

from __future__ import annotations

import anyio

from kassa.bus import Deliver
from kassa.model import Event


class MemoryBus:
    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, event: Event) -> bool:
        assert self._deliver is not None, "bus not started"
        return await self._deliver(event)

    async def run(self) -> None:
        await anyio.sleep_forever()

    async def stop(self) -> None:
        self._deliver = None
