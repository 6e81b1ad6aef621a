from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa.secret import Secret
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.client import BotClient
from kassa_telegram.settings import TelegramSettings
from kassa_telegram.sim import TelegramSim


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSim]:
    async with TelegramSim(rate_limits=False) as s:
        yield s


@pytest.fixture
async def client(sim: TelegramSim) -> AsyncIterator[BotClient]:
    c = BotClient(Secret(sim.token), sim.base_url, timeout=5.0)
    yield c
    await c.aclose()


def settings_for(sim: TelegramSim, **kw: Any) -> TelegramSettings:
    return TelegramSettings(token=Secret(sim.token), base_url=sim.base_url, poll_timeout=1,
                            request_timeout=2.0, **kw)


@pytest.fixture
async def channel(sim: TelegramSim) -> AsyncIterator[TelegramChannel]:
    ch = TelegramChannel(settings_for(sim), backoff_base=0.01)
    yield ch
    await ch.aclose()
