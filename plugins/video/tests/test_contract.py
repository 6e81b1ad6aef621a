"""The core's VideoSinkContract against the feed on the emulator over a real TCP socket, for
each protocol: once per key, in order, kept on disk while the video system is off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kassa.testing.contracts.devices import VideoSinkContract
from kassa_video.feed import VideoFeed
from kassa_video.sim import VideoSimulator

from .conftest import settings_for

RUNNING: dict[str, VideoSimulator] = {}


@pytest.fixture(autouse=True)
async def emulator() -> AsyncIterator[None]:
    sim = VideoSimulator([("dssl", "s1", "dssl"), ("axxon", "s1", "axxon"),
                          ("text", "s1", "text")])
    await sim.start()
    RUNNING["sim"] = sim
    try:
        yield
    finally:
        await sim.stop()
        for name in ("dssl", "axxon", "text"):  # the emulator's own double-send check
            assert sim[name].duplicates() == [], name


class _OnEmulator(VideoSinkContract):
    input = "dssl"

    def make_device(self, tmp_path: Path) -> VideoFeed:
        return VideoFeed(settings_for(RUNNING["sim"], self.input), data_dir=tmp_path)

    async def effects(self, component: Any) -> int:
        return len(RUNNING["sim"][self.input].records)

    def arrivals(self, component: Any) -> list[str]:
        return [r.receipt for r in RUNNING["sim"][self.input].records]

    async def cut(self, component: Any) -> None:
        await RUNNING["sim"][self.input].pause()

    async def restore(self, component: Any) -> None:
        await RUNNING["sim"][self.input].resume()


class TestDsslFeed(_OnEmulator):
    input = "dssl"


class TestAxxonFeed(_OnEmulator):
    input = "axxon"


class TestTextFeed(_OnEmulator):
    input = "text"
