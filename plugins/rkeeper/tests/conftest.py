from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

import anyio
import pytest
from kassa.model import Event
from kassa.secret import Secret
from kassa_rkeeper.settings import RKeeperSettings
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.source import RKeeperSource

START = datetime(2026, 3, 14, 12, 0)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


class Collector:
    """Stands in for hub.emit: dedups on (site, source_key) as the hub does."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.keys: set[tuple[str, str]] = set()
        self.duplicates = 0

    async def __call__(self, event: Event) -> bool:
        key = (event.site, event.source_key)
        if key in self.keys:
            self.duplicates += 1
            return False
        self.keys.add(key)
        self.events.append(event)
        return True

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    async def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0  # noqa: ASYNC109
                       ) -> list[Event]:
        with anyio.fail_after(timeout):
            while len(self.of(kind)) < count:  # noqa: ASYNC110
                await anyio.sleep(0.01)
        return self.of(kind)


def child(el: ET.Element, path: str) -> ET.Element:
    """``el.find(path)``, failing the test when the answer lacks it."""
    found = el.find(path)
    assert found is not None, f"no <{path}> in <{el.tag}>"
    return found


def settings_for(sim: RKeeperSim, **kw: Any) -> RKeeperSettings:
    base: dict[str, Any] = dict(host="127.0.0.1", port=sim.port, scheme="http", user="kassa",
                password=Secret("kassa"), restaurant_code=sim.rest.code, listen_host="127.0.0.1",
                listen_port=0, poll_interval=0.2, timeout=1.0, offline_after=1.0)
    base.update(kw)
    return RKeeperSettings(**base)


@asynccontextmanager
async def running(code: str = "r1", seed: int = 1, *, got: Collector | None = None,
                  sim_kw: dict[str, Any] | None = None, **kw: Any
                  ) -> AsyncIterator[tuple[RKeeperSim, RKeeperSource, Collector]]:
    """A simulator, a source subscribed to it, and the events collected so far (``got``:
    a collector of your own, e.g. one with a fault; ``sim_kw``: simulator options)."""
    sim = RKeeperSim(code, rest_code=f"19999{seed:04d}", seed=seed, start=START,
                     notify_url="", **(sim_kw or {}))
    await sim.start()
    try:
        source = RKeeperSource(code, settings_for(sim, **kw))
        got = got if got is not None else Collector()
        async with anyio.create_task_group() as tg:
            tg.start_soon(source.run, got)
            with anyio.fail_after(5):
                await source.ready.wait()
            sim.subscribe(f"http://127.0.0.1:{source.listen_port}/rkeeper/notify")
            yield sim, source, got
            tg.cancel_scope.cancel()
    finally:
        await sim.stop()
