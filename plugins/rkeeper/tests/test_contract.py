"""The r_keeper source against the core's EventSourceContract: a simulated cash server whose
staff work a busy lunch hour; two sources made in one test read the same server, as a
restarted hub would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa.testing.contracts import EventSourceContract
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.source import RKeeperSource

from .conftest import START, settings_for

FAR_END: list[RKeeperSim] = []


@pytest.fixture(autouse=True, scope="module")
async def cash_server() -> AsyncIterator[RKeeperSim]:
    sim = RKeeperSim("r1", rest_code="199990042", seed=42, start=START, speed=30.0, rate=20.0,
                     notify_url="")
    await sim.start()
    FAR_END.append(sim)
    yield sim
    FAR_END.remove(sim)
    await sim.stop()


def make_source() -> Any:
    return RKeeperSource("r1", settings_for(FAR_END[-1]))


class TestRKeeperSource(EventSourceContract):
    make_source = staticmethod(make_source)
    expected = 3
