from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kassa_shtrih.sim.harness import SimRegister


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["tcp", "pty"])
async def reg(request: Any, tmp_path: Path) -> AsyncIterator[SimRegister]:
    r = SimRegister(tmp_path / "state", request.param)
    await r.start()
    try:
        yield r
    finally:
        await r.stop()
