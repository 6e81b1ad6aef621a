from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kassa.secret import Secret
from kassa_max.client import MaxClient
from kassa_max.settings import MaxSettings
from kassa_max.sim import MaxSim


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[MaxSim]:
    async with MaxSim() as s:
        yield s


def settings_for(sim: MaxSim, **kw: object) -> MaxSettings:
    kw.setdefault("timeout", 2.0)
    kw.setdefault("upload_delay", 0.01)
    kw.setdefault("token", Secret(sim.token))
    return MaxSettings(base_url=sim.base_url, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def client(sim: MaxSim) -> AsyncIterator[MaxClient]:
    c = MaxClient(settings_for(sim))
    yield c
    await c.aclose()
