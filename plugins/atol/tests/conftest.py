from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa_atol.register import AtolRegister
from kassa_atol.settings import RegisterSettings
from kassa_atol.sim import AtolSimulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[AtolSimulator]:
    s = AtolSimulator("r1")
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def settings_for(sim: AtolSimulator, **kw: Any) -> RegisterSettings:
    kw.setdefault("poll_interval", 0.01)
    kw.setdefault("timeout", 5.0)
    return RegisterSettings(name=sim.register, url=sim.url, **kw)


@pytest.fixture
async def register(sim: AtolSimulator) -> AsyncIterator[AtolRegister]:
    reg = AtolRegister(sim.register, settings_for(sim))
    try:
        yield reg
    finally:
        await reg.stop()
