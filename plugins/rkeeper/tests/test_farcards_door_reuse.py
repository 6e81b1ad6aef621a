"""Several hubs in one process (tests, the demo): a door whose task was cancelled inside
uvicorn's serve must not leave its listening socket watched by the event loop. It did: the
socket was closed while the loop's selector still held its fd, the next hub's door got the
same fd number, asyncio took it for already watched and never registered it, and that
door's calls were queued by the kernel and never answered (the "three hubs in one process"
hang of docs/plugins/rkeeper.md)."""

from __future__ import annotations

import anyio
import pytest
from kassa_rkeeper.farcards import door as door_module
from kassa_rkeeper.farcards.till import FarCardsTill

from .farcards_hub import KEY, farcards_hub

pytestmark = pytest.mark.anyio


async def test_a_door_cancelled_mid_serve_leaves_the_next_hubs_door_working(tmp_path,
                                                                           monkeypatch):
    # the hub stops before the door finished its shutdown: its task is cancelled in serve
    # (what a request under way longer than the door's bounded wait leads to)
    monkeypatch.setattr(door_module.Door, "aclose", lambda self, timeout=5.0: _stop(self))
    async with farcards_hub(tmp_path / "a") as (_, url_a, _s):
        async with farcards_hub(tmp_path / "b") as (_, url_b, _s):
            async with FarCardsTill(url_b, auth=("cash1", KEY)) as t:
                assert (await t.card_info(7788001)).result == 0
        for n in range(3):  # the next hubs' doors, one after another
            async with farcards_hub(tmp_path / f"c{n}") as (_, url_c, _s):
                async with FarCardsTill(url_c, auth=("cash1", KEY)) as t:
                    with anyio.fail_after(10):
                        assert (await t.card_info(7788002)).result == 0
        async with FarCardsTill(url_a, auth=("cash1", KEY)) as t:
            with anyio.fail_after(10):
                assert (await t.card_info(7788003)).result == 0


async def _stop(door: door_module.Door) -> None:
    door.stop()
