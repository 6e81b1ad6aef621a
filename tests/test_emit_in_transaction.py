"""``hub.emit(event, conn=...)``: the event is written in the caller's own transaction and goes
downstream (outbox workers, on_event listeners, the relay) only once that transaction has
committed: never from one that rolled back, and after a crash between the commit and the
wake-up, at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from typing import Any

import anyio
import pytest
from kassa import hookimpl
from kassa.model import Event
from kassa.testing import CaptureChannel, ComponentsPlugin, make_hub
from sqlalchemy import text

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    async def on_event(self, event: Event, hub: Any) -> None:
        self.seen.append(event.source_key)


async def until(cond: Any, seconds: float = 10.0) -> None:
    with anyio.fail_after(seconds):
        while not cond():  # noqa: ASYNC110 (the listener task fills it)
            await anyio.sleep(0.02)


async def logged(hub: Any) -> list[str]:
    return [e.source_key for e in await hub.events()]


async def test_an_event_of_a_committed_transaction_is_delivered_once(tmp_path):
    ch, rec = CaptureChannel(), Recorder()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch]), rec]) as hub:
        q = hub.listen()
        async with hub.transaction() as conn:
            await conn.execute(text("CREATE TABLE acme (n INTEGER)"))
            await conn.execute(text("INSERT INTO acme VALUES (1)"))
            assert await hub.emit(ev(key="a"), conn=conn) is True
            assert await hub.emit(ev(key="a"), conn=conn) is False  # same key: a no-op
            assert q.empty() and rec.seen == []  # not committed yet: nobody sees it
        _, got = q.get_nowait()  # handed on right at the commit
        assert got.source_key == "a" and q.empty()
        await until(lambda: rec.seen == ["a"])
        assert await hub.drain()
        assert await hub.emit(ev(key="a")) is False  # the log knows it
        assert await logged(hub) == ["a"]
    assert sorted(m.chat.chat_id for m in ch.sent) == ["-1", "-2"]  # decided with it
    assert rec.seen == ["a"]


async def test_an_event_of_a_rolled_back_transaction_is_never_seen(tmp_path):
    ch, rec = CaptureChannel(), Recorder()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch]), rec]) as hub:
        q = hub.listen()
        with pytest.raises(RuntimeError):
            async with hub.transaction() as conn:
                assert await hub.emit(ev(key="lost"), conn=conn) is True
                raise RuntimeError("the plugin fails before its commit")

        def fails(conn: Any) -> None:
            hub.emit(ev(key="lost2"), conn=conn)
            raise RuntimeError("and in write_sync")

        with pytest.raises(RuntimeError):
            await hub.write_sync(fails)
        assert await hub.emit(ev(key="after")) is True
        await until(lambda: rec.seen == ["after"])
        assert await hub.drain()
        assert await logged(hub) == ["after"]
        assert [e.source_key for _, e in [q.get_nowait()]] == ["after"] and q.empty()
        # the rolled-back keys were never taken: they can be emitted for real later
        assert await hub.emit(ev(key="lost")) is True
    assert len(ch.sent) == 4  # "after" and "lost" at the end, each to two chats


async def test_write_sync_commits_its_rows_and_events_together(tmp_path):
    ch, rec = CaptureChannel(), Recorder()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch]), rec]) as hub:
        await hub.write_sync(lambda c: c.execute(text("CREATE TABLE acme (n INTEGER)")))

        def save(conn: Any) -> int:
            conn.execute(text("INSERT INTO acme VALUES (7)"))
            hub.emit(ev(key="w1"), conn=conn)  # synchronous here: written at the call
            hub.emit(ev(key="w2", kind="check_annulled"), conn=conn)
            return 7

        assert await hub.write_sync(save) == 7
        # what emit returns there is awaitable like its other answers: new or not
        again = await hub.write_sync(lambda conn: hub.emit(ev(key="w1"), conn=conn))
        assert await again is False
        await until(lambda: rec.seen == ["w1", "w2"])
        assert await hub.drain()
        assert await logged(hub) == ["w1", "w2"]
        async with hub.store.read() as conn:
            assert (await conn.execute(text("SELECT n FROM acme"))).scalars().all() == [7]
        assert hub.log.written == 2
    assert len(ch.sent) == 4
    # the router's decision was made in the writer thread: the same texts as emit's
    assert sum("Удаление чека" in m.text and "290,00" in m.text for m in ch.sent) == 2


async def test_a_connection_the_hub_did_not_hand_out_is_refused(tmp_path):
    async with make_hub(CONFIG, tmp_path) as hub:
        async with hub.store.write() as conn:
            with pytest.raises(ValueError, match=r"hub\.transaction"):
                hub.emit(ev(), conn=conn)
        kept: list[Any] = []
        await hub.write_sync(kept.append)
        with pytest.raises(ValueError, match="write_sync"):  # its transaction is over
            hub.emit(ev(), conn=kept[0])
        assert await logged(hub) == []


CHILD = textwrap.dedent('''
    import sys, anyio, os
    from kassa import hookimpl
    from kassa.testing import make_hub
    from tests.factories import CONFIG, ev

    class Listener:  # saves the on_event cursor at start, so the next start catches up
        @hookimpl
        async def on_event(self, event, hub):
            pass

    async def main():
        async with make_hub(CONFIG, sys.argv[1], plugins=[Listener()]) as hub:
            def woken(tx):
                print("committed", flush=True)  # the commit is done, nobody was told
                os.kill(os.getpid(), 9)
            hub._committed = woken
            await hub.write_sync(lambda conn: hub.emit(ev(key="crash"), conn=conn))
            await anyio.sleep_forever()

    anyio.run(main)
''')


async def test_a_kill_between_the_commit_and_the_wake_up_delivers_at_the_next_start(tmp_path):
    proc = subprocess.Popen(  # noqa: ASYNC220 (started once; its pipe is read in a thread)
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True,
        cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert proc.stdout is not None
        line = await anyio.to_thread.run_sync(proc.stdout.readline)
        assert line.strip() == "committed"
        assert await anyio.to_thread.run_sync(proc.wait, 30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    ch, rec = CaptureChannel(), Recorder()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch]), rec]) as hub:
        await until(lambda: rec.seen == ["crash"])  # caught up from the log
        assert await hub.drain()
        assert await hub.emit(ev(key="crash")) is False  # re-emitting adds nothing
        assert hub.event_listeners.caught_up == 1
    assert sorted(m.chat.chat_id for m in ch.sent) == ["-1", "-2"]  # the outbox rows too
    assert rec.seen == ["crash"]
