"""``on_event`` listeners see every committed event at least once, even the ones a process
committed and then died before its listeners saw them (the ``on_event`` cursor)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
from kassa import hookimpl
from kassa.model import Event
from kassa.testing import make_hub

pytestmark = pytest.mark.anyio
CFG = {"sites": [{"code": "s1"}]}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    async def on_event(self, event: Event, hub: Any) -> None:
        self.seen.append(event.source_key)


class Broken:
    @hookimpl
    def on_event(self, event: Event, hub: Any) -> None:
        raise RuntimeError("listener bug")


def ev(n: int) -> Event:
    return Event.of(site="s1", kind="check_deleted", source_key=f"k{n}",
                    occurred_at=datetime.now(UTC), amount=100 * n)


async def until(cond: Any, seconds: float = 10.0) -> None:
    with anyio.fail_after(seconds):
        while not cond():  # noqa: ASYNC110 (a listener task fills it)
            await anyio.sleep(0.02)


class StuckOn:
    """A listener that never returns from one event (the process stops meanwhile)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.seen: list[str] = []

    @hookimpl
    async def on_event(self, event: Event, hub: Any) -> None:
        self.seen.append(event.source_key)
        if event.source_key == self.key:
            await anyio.sleep_forever()


async def test_events_a_stopped_hub_had_not_shown_its_listeners_are_shown_at_start(tmp_path):
    first = Recorder()
    async with make_hub(CFG, tmp_path, plugins=[first]) as hub:
        await hub.emit(ev(1))
        await until(lambda: first.seen == ["k1"])
    stuck = StuckOn("k2")
    async with make_hub(CFG, tmp_path, plugins=[stuck]) as hub:
        await hub.emit(ev(2))
        await hub.emit(ev(3))
        await until(lambda: stuck.seen == ["k2"])  # k3 committed, never shown
    again = Recorder()
    async with make_hub(CFG, tmp_path, plugins=[again]) as hub:
        await until(lambda: again.seen == ["k2", "k3"])  # k1 was seen: not again
        await hub.emit(ev(4))
        await until(lambda: again.seen == ["k2", "k3", "k4"])
        assert hub.event_listeners.caught_up == 2


async def test_the_first_start_with_a_listener_does_not_replay_the_history(tmp_path):
    async with make_hub(CFG, tmp_path) as hub:
        await hub.emit(ev(1))
        assert await hub.drain()
    rec = Recorder()
    async with make_hub(CFG, tmp_path, plugins=[rec]) as hub:
        await hub.emit(ev(2))
        await until(lambda: rec.seen == ["k2"])


async def test_a_failing_listener_neither_stops_the_others_nor_the_cursor(tmp_path):
    rec = Recorder()
    async with make_hub(CFG, tmp_path, plugins=[Broken(), rec]) as hub:
        await hub.emit(ev(1))
        await hub.emit(ev(2))
        await until(lambda: rec.seen == ["k1", "k2"])
    rec2 = Recorder()
    async with make_hub(CFG, tmp_path, plugins=[rec2]) as hub:
        await hub.emit(ev(3))
        await until(lambda: rec2.seen == ["k3"])  # k1, k2 were delivered: not again


CHILD = textwrap.dedent('''
    import sys, anyio
    from datetime import UTC, datetime
    from kassa import hookimpl
    from kassa.model import Event
    from kassa.testing import make_hub

    class Stuck:
        @hookimpl
        async def on_event(self, event, hub):
            if event.source_key == "k2":
                print("stuck", flush=True)
                await anyio.sleep_forever()  # killed here: k2 committed, not seen

    async def main():
        async with make_hub({"sites": [{"code": "s1"}]}, sys.argv[1], plugins=[Stuck()]) as hub:
            for n in (1, 2, 3):
                await hub.emit(Event.of(site="s1", kind="check_deleted", source_key=f"k{n}",
                                        occurred_at=datetime.now(UTC)))
            print("emitted", flush=True)  # all three committed
            await anyio.sleep_forever()

    anyio.run(main)
''')


async def test_a_process_killed_inside_a_listener_loses_no_event(tmp_path):
    proc = subprocess.Popen(  # noqa: ASYNC220 (started once; its pipe is read in a thread)
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = {(await anyio.to_thread.run_sync(proc.stdout.readline)).strip()
                 for _ in range(2)}
        assert lines == {"stuck", "emitted"}
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    rec = Recorder()
    async with make_hub(CFG, tmp_path, plugins=[rec]) as hub:
        # at least once, in order: k1 too if the cursor had not moved past it yet
        await until(lambda: rec.seen[-2:] == ["k2", "k3"])
        assert rec.seen in (["k2", "k3"], ["k1", "k2", "k3"])
        assert hub.event_listeners.caught_up == len(rec.seen)
