"""The MAX channel against the core's ChannelContract, over real HTTP to the simulator (a
group where the bot is an admin and a person writes to it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kassa.model import ChatRef
from kassa.testing.contracts import ChannelContract
from kassa_max.channel import MaxChannel
from kassa_max.sim import MaxSim

from .conftest import settings_for


class InSim:
    """A MaxChannel bound to a simulator of its own, started and stopped with it."""

    def __init__(self) -> None:
        self.sim = MaxSim()
        self.inner: Any = None

    async def start(self) -> None:
        await self.sim.start()
        self.person = self.sim.world.add_user("Анна").user_id
        self.chat = ChatRef("max", str(self.sim.world.add_group("Контракт").chat_id))
        self.inner = MaxChannel(settings_for(self.sim, poll_timeout=1), locale="ru")

    async def stop(self) -> None:
        await self.inner.aclose()
        await self.sim.stop()

    def __getattr__(self, member: str) -> Any:
        return getattr(self.inner, member)


class TestMaxChannel(ChannelContract):
    make_channel = staticmethod(InSim)

    @asynccontextmanager
    async def harness(self, tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
        async with super().harness(tmp_path) as (ch, journal):
            self.chat = ch.chat
            yield ch, journal

    async def push_update(self, channel: Any, text: str) -> None:
        channel.sim.world.say(int(self.chat.chat_id), channel.person, text)
