"""Core benchmarks, printed as ratios against baselines measured in the same run.

1. pipeline: events/s from emit to outbox row on SQLite, vs a bare loop inserting the same
   rows (events + outbox) in batches of the same size. Goal >= 10,000 events/s.
2. hook dispatch: the typed facade's overhead over raw pluggy calls. Goal <= 1.5x.
3. `kassa --help` wall time with every first-party plugin installed. Goal < 150 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))


async def pipeline(synchronous: str = "FULL") -> float:
    """emit -> outbox row with SQLite at ``PRAGMA synchronous=<synchronous>``; events/s."""
    from kassa.store import engine

    engine.SYNCHRONOUS = synchronous
    from kassa.eventlog import dialect_insert, event_row
    from kassa.model import ChatRef, Message
    from kassa.outbox import outbox_row
    from kassa.store import Store
    from kassa.store.tables import EventRow, OutboxRow
    from kassa.testing import make_hub

    from tests.factories import CONFIG, ev

    events = [ev(key=f"e{i}", order=str(i)) for i in range(N_EVENTS)]
    with tempfile.TemporaryDirectory() as tmp:
        # no channel is registered: rows stay pending, so this measures emit -> outbox row
        cfg = {**CONFIG, "chats": [CONFIG["chats"][0]]}
        async with make_hub(cfg, tmp) as hub:
            t0 = time.perf_counter()
            # many concurrent sources, as a chain has
            async def source(chunk: list) -> None:
                for e in chunk:
                    await hub.emit(e)
            k = 200  # concurrent sources (stations, sites); group commit batches them
            await asyncio.gather(*(source(events[i::k]) for i in range(k)))
            hub_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite+aiosqlite:///{tmp}/bare.db")
        await store.upgrade()
        now = events[0].occurred_at
        t0 = time.perf_counter()
        for i in range(0, N_EVENTS, 500):
            batch = events[i:i + 500]
            async with store.write() as conn:
                await conn.execute(dialect_insert(conn, EventRow), [event_row(e, now)
                                                                      for e in batch])
                await conn.execute(dialect_insert(conn, OutboxRow), [outbox_row(
                    Message(chat=ChatRef("capture", "-1"), text=e.id), key=e.id, now=now)
                    for e in batch])
        bare_s = time.perf_counter() - t0
        await store.close()
    print(f"pipeline (synchronous={synchronous}): {N_EVENTS / hub_s:,.0f} events/s "
          f"emit->outbox row (goal >= 10,000); bare insert loop {N_EVENTS / bare_s:,.0f} rows/s;"
          f" hub/bare time ratio {hub_s / bare_s:.2f}x")
    return N_EVENTS / hub_s


async def durability_cost() -> None:
    """What durable acknowledgement (FULL: the WAL fsynced at every commit) costs against
    NORMAL (durable across a process kill only), in the same run, alternating."""
    full, normal = [], []
    for _ in range(2):
        normal.append(await pipeline("NORMAL"))
        full.append(await pipeline("FULL"))
    print(f"durable acknowledgement: FULL/NORMAL = {max(full) / max(normal):.2f} "
          f"(best of 2 each: {max(full):,.0f} vs {max(normal):,.0f} events/s)")


def dispatch() -> None:
    from kassa import hookimpl
    from kassa.model import ChatRef
    from kassa.plugins import Plugins, new_manager

    from tests.factories import ev

    class P:
        @hookimpl
        def register_commands(self):
            return []

    pm = new_manager(entry_points=False, extra=[P()])
    facade = Plugins(pm)
    e, chat = ev(), ChatRef("t", "1")
    n = 20000

    def timeit(fn) -> float:
        best = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best.append(time.perf_counter() - t0)
        return min(best)

    raw = timeit(lambda: pm.hook.format_message(event=e, chat=chat, locale="ru", hub=None))
    typed = timeit(lambda: facade.format_message(e, chat, "ru"))
    print(f"hook dispatch (format_message): facade/raw pluggy = {typed / raw:.2f}x (goal <= 1.5x)")
    raw = timeit(lambda: pm.hook.register_commands())
    typed = timeit(lambda: facade.commands())
    print(f"hook dispatch (register_commands): facade/raw pluggy = {typed / raw:.2f}x "
          "(facade also builds the name registry)")


def help_time() -> None:
    exe = Path(sys.executable).parent / "kassa"
    base = [sys.executable, "-c", "pass"]
    def run(cmd: list[str]) -> float:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    py = run(base)
    hlp = run([str(exe), "--help"])
    print(f"kassa --help: {hlp * 1000:.0f} ms median (goal < 150 ms); bare python start "
          f"{py * 1000:.0f} ms; ratio {hlp / py:.1f}x")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    asyncio.run(durability_cost())
    dispatch()
    help_time()
