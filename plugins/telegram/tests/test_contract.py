"""The Telegram channel against the core's ChannelContract, over real HTTP to the simulator
(a group with a person in it; the person's messages reach the bot as Telegram sends them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kassa.model import ChatRef
from kassa.testing.contracts import ChannelContract
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.sim import TelegramSim

from .conftest import settings_for


class InSim:
    """A TelegramChannel bound to a simulator of its own, started and stopped with it."""

    def __init__(self) -> None:
        self.sim = TelegramSim(rate_limits=False)
        self.inner: Any = None

    async def start(self) -> None:
        await self.sim.start()
        self.person = self.sim.create_user("Анна").id
        self.chat = ChatRef("telegram", str(self.sim.create_chat("Контракт",
                                                                  members=[self.person]).id))
        self.inner = TelegramChannel(settings_for(self.sim), backoff_base=0.01)

    async def stop(self) -> None:
        await self.inner.aclose()
        await self.sim.stop()

    def __getattr__(self, member: str) -> Any:
        return getattr(self.inner, member)


class TestTelegramChannel(ChannelContract):
    make_channel = staticmethod(InSim)

    @asynccontextmanager
    async def harness(self, tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
        async with super().harness(tmp_path) as (ch, journal):
            self.chat = ch.chat
            yield ch, journal

    async def push_update(self, channel: Any, text: str) -> None:
        channel.sim.user_says(int(self.chat.chat_id), channel.person, text)
