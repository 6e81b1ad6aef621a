from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa.serving import AsgiServer, read_body, respond_json
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


class Intake:
    """An OFD's intake: 200 and keep, or ``status`` (503 when down) and keep nothing."""

    def __init__(self) -> None:
        self.status = 200
        self.tickets: list[dict[str, Any]] = []
        self.server = AsgiServer(self.app, "127.0.0.1", 0)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if (scope["method"], scope["path"]) != ("POST", "/_sim/documents"):
            await respond_json(send, 404, {"error": "no such path"})
        elif self.status != 200:
            await respond_json(send, self.status, {"error": "down"})
        else:
            self.tickets.append(json.loads(body))
            await respond_json(send, 200, {"Id": str(len(self.tickets)), "duplicate": False})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
async def intake() -> AsyncIterator[Intake]:
    i = Intake()
    await i.server.start()
    try:
        yield i
    finally:
        await i.server.stop()
