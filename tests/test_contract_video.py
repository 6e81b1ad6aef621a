"""VideoSinkContract: a sink that keeps events while its link is down passes; one that
drops them, reorders them, or sends a repeated key twice is caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kassa.errors import RetryLater
from kassa.model import DeviceStatus, Health, PosEvent
from kassa.testing.contracts.devices import VideoSinkContract

pytestmark = pytest.mark.anyio


class MemorySink:
    """A video system link kept in memory: ``far`` is what the video system received."""

    kind = "video"

    def __init__(self, *, refuse_when_down: bool = True, drop_when_down: bool = False,
                 reverse: bool = False) -> None:
        self.name = "mem-video"
        self.far: list[str] = []
        self.up = True
        self.pending: list[str] = []
        self.refuse_when_down = refuse_when_down
        self.drop_when_down = drop_when_down
        self.reverse = reverse

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> DeviceStatus:
        return DeviceStatus(health=Health.OK if self.up else Health.DOWN)

    async def send(self, event: PosEvent, key: str) -> None:
        if not self.up:
            if self.drop_when_down:
                return  # the defect: taken and forgotten
            if self.refuse_when_down:
                raise RetryLater("the video system is off")
        self.far.insert(0, event.receipt_id or "") if self.reverse else self.far.append(
            event.receipt_id or "")


class TestMemorySink(VideoSinkContract):
    sink_options: dict[str, Any] = {}

    def make_device(self) -> MemorySink:
        self.sink = MemorySink(**self.sink_options)
        return self.sink

    async def effects(self, component: Any) -> int:
        return len(component.far)

    def arrivals(self, component: Any) -> list[str]:
        return list(component.far)

    async def cut(self, component: Any) -> None:
        component.up = False

    async def restore(self, component: Any) -> None:
        component.up = True


class Quick(TestMemorySink):
    patience = 0.3


@pytest.mark.parametrize(("options", "test"), [
    ({"drop_when_down": True}, "test_link_down_keeps_events_and_replays_them_in_order"),
    ({"reverse": True}, "test_events_arrive_in_the_order_sent"),
])
async def test_the_suite_catches_a_broken_sink(tmp_path: Path, options: dict[str, Any],
                                               test: str) -> None:
    suite = Quick()
    suite.sink_options = options
    with pytest.raises(AssertionError):
        await getattr(suite, test)(tmp_path)


async def test_the_suite_catches_a_sink_called_twice_for_one_key(tmp_path: Path) -> None:
    class Twice(Quick):
        async def send(self, v: Any, journal: Any, key: str, event: PosEvent) -> None:
            await v.send(event, key=key)  # bypassing the journal: what the core never does

    with pytest.raises(AssertionError):
        await Twice().test_same_key_twice_delivers_once(tmp_path)
