from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from kassa_video.feed import VideoFeed
from kassa_video.settings import FeedSettings
from kassa_video.sim import VideoSimulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[VideoSimulator]:
    s = VideoSimulator([("dssl", "s1", "dssl"), ("axxon", "s1", "axxon"),
                        ("text", "s1", "text")])
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def settings_for(sim: VideoSimulator, name: str = "dssl", **kw: Any) -> FeedSettings:
    kw.setdefault("connect_timeout", 2.0)
    kw.setdefault("write_timeout", 5.0)
    kw.setdefault("reconnect_max", 0.2)
    return FeedSettings(name=name, host="127.0.0.1", port=sim[name].port, site="s1",
                        protocol=sim[name].protocol, **kw)


@pytest.fixture
async def feed(sim: VideoSimulator, tmp_path: Path) -> AsyncIterator[VideoFeed]:
    f = VideoFeed(settings_for(sim), data_dir=tmp_path)
    await f.start()
    try:
        yield f
    finally:
        await f.stop()


async def wait_for(cond: Callable[[], object], seconds: float = 20.0) -> None:
    """Generous: the box is shared; this bounds a hang, it times nothing."""
    with anyio.fail_after(seconds):
        while not cond():  # noqa: ASYNC110 (polling state another task changes)
            await anyio.sleep(0.01)
