"""Notification path benchmarks: figures, and ratios against baselines measured in the same run.

    uv run python bench/notify_bench.py

1. hub overhead: a source's emit() until the event and its outbox rows are committed and
   ready to send, at 200 events/s spread over 50 sites (two chats each: the site's and the
   owners'). Sources are timestamping emitters (a ScriptedSource that notes when it called
   emit), not 50 r_keeper simulators: those would measure XML parsing, which
   bench/rkeeper_bench.py already does. Measured with the outbox idle (no channel) and with
   a channel at Telegram's budgets (the outbox sending and folding digests beside the log).
   Baseline: the same schedule writing the same rows in one bare SQLite transaction per
   event. Goal p99 < 50 ms.
2. end to end to a site chat on the Telegram simulator (real HTTP, the simulator's flood
   limits on), each chat's rate within its budget (a group: 20 a minute). Baseline: a bare
   httpx sendMessage round trip to the same simulator. Goal p99 < 250 ms.
3. a burst of 1,000 alerts for one group: 429s received (the simulator's log), events missing
   from every message, the most messages in any 60 s (budget 20), and the time until the last
   event is in the chat. It mostly waits for the group's budget, so 1 and 2 run meanwhile.

Bounded: under 90 s on the 2-core machine.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import kassa_telegram
from kassa.eventlog import dialect_insert, event_row
from kassa.model import ChannelLimits, ChatRef, Event, Message
from kassa.outbox import outbox_row
from kassa.runner import settle_memory
from kassa.store import Store
from kassa.store.tables import EventRow, OutboxRow
from kassa.testing import CaptureChannel, ComponentsPlugin, make_hub
from kassa_telegram.sim import TelegramSim

SITES, RATE, SECONDS = 50, 200.0, 5.0  # 1: 1,000 events a run
E2E_SITES, E2E_EVERY, E2E_ROUNDS = 25, 3.2, 4  # 2: one alert per site chat every 3.2 s
BURST = 1000
TOKEN = re.compile(r"B\d{4}")
KINDS = ("check_deleted", "saved_dish_deleted", "discount_added", "precheck_cancelled")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def ms(values: list[float]) -> str:
    return (f"p50 {pct(values, 0.5) * 1000:.1f} ms, p99 {pct(values, 0.99) * 1000:.1f} ms "
            f"(n={len(values)})")


def alert(site: str, n: int, prefix: str = "N") -> Event:
    return Event.of(site=site, kind=KINDS[n % len(KINDS)], source_key=f"{prefix}{n:05d}",
                    occurred_at=datetime.now(UTC), order=f"{prefix}{n:04d}",
                    employee="Иванова Анна", amount=45_000 + n, reason="Ошибка официанта")


def chain(sites: int, channel: str, chat_ids: list[str] | None = None,
          owners: str | None = None) -> dict[str, Any]:
    codes = [f"s{i:02d}" for i in range(sites)]
    ids = chat_ids or [f"-{1000 + i}" for i in range(sites)]
    chats: list[dict[str, Any]] = [{"channel": channel, "chat_id": cid, "site": code}
                                   for code, cid in zip(codes, ids, strict=True)]
    if owners:
        chats.append({"channel": channel, "chat_id": owners, "owners": True})
    return {"sites": [{"code": c, "name": f"Суши Мастер {c}"} for c in codes], "chats": chats}


async def on_schedule(emit: Any, sites: int, rate: float, seconds: float) -> list[float]:
    """Each site emits at rate/sites per second with jitter; returns emit() latencies."""
    lat: list[float] = []
    per_site = rate / sites

    async def site(i: int) -> None:
        rng = random.Random(i)
        code = f"s{i:02d}"
        await asyncio.sleep(rng.random() / per_site)
        for n in range(int(seconds * per_site)):
            t = time.perf_counter()
            await emit(alert(code, i * 10_000 + n))
            lat.append(time.perf_counter() - t)
            await asyncio.sleep(rng.uniform(0.5, 1.5) / per_site)

    await asyncio.gather(*(site(i) for i in range(sites)))
    return lat


async def hub_run(channel: CaptureChannel | None) -> list[float]:
    plugins = [ComponentsPlugin(channels=[channel])] if channel else []
    with tempfile.TemporaryDirectory() as tmp:
        async with make_hub(chain(SITES, "capture", owners="-1"), tmp, plugins=plugins) as hub:
            settle_memory()  # as `kassa run` does once the hub is up
            return await on_schedule(hub.emit, SITES, RATE, SECONDS)


async def bare_run() -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite+aiosqlite:///{tmp}/bare.db")
        await store.upgrade()

        async def bare(e: Event) -> None:
            now = datetime.now(UTC)
            async with store.write() as conn:
                await conn.execute(dialect_insert(conn, EventRow), [event_row(e, now)])
                await conn.execute(dialect_insert(conn, OutboxRow), [outbox_row(
                    Message(chat=ChatRef("capture", c), text=e.id), key=f"{e.id}:{c}", now=now)
                    for c in ("-1", "-2")])

        try:
            return await on_schedule(bare, SITES, RATE, SECONDS)
        finally:
            await store.close()


def print_overhead(idle: list[float], live: list[float], base: list[float]) -> None:
    print(f"1. hub overhead, emit -> event and outbox rows committed, {RATE:.0f} events/s over "
          f"{SITES} sites (goal p99 < 50 ms):")
    print(f"   outbox idle:                          {ms(idle)}")
    print(f"   outbox sending at Telegram's budgets: {ms(live)}")
    print(f"   baseline, a bare SQLite transaction per event: {ms(base)}")
    for name, lat in (("idle", idle), ("sending", live)):
        print(f"   hub ({name})/bare: p50 {pct(lat, .5) / pct(base, .5):.1f}x, "
              f"p99 {pct(lat, .99) / pct(base, .99):.1f}x")


async def chat_latency() -> None:
    async with TelegramSim() as sim:  # flood limits on, as Telegram
        groups = [sim.create_chat(f"s{i:02d}").id for i in range(E2E_SITES)]
        cfg = chain(E2E_SITES, "telegram", [str(g) for g in groups])
        cfg["telegram"] = {"token": sim.token, "base_url": sim.base_url, "poll_timeout": 1}
        sent: dict[str, float] = {}
        with tempfile.TemporaryDirectory() as tmp:
            async with make_hub(cfg, tmp, plugins=[kassa_telegram]) as hub:

                async def site(i: int) -> None:
                    await asyncio.sleep(E2E_EVERY * i / E2E_SITES)  # spread the sites
                    for n in range(E2E_ROUNDS):
                        e = alert(f"s{i:02d}", i * 100 + n, prefix="B")
                        sent[e.order or ""] = time.time()
                        await hub.emit(e)
                        await asyncio.sleep(E2E_EVERY)

                await asyncio.gather(*(site(i) for i in range(E2E_SITES)))
                await hub.drain(timeout=15)
        lat = []
        for g in groups:
            for m in sim.received(g):
                for token in TOKEN.findall(m.text):
                    lat.append(m.at - sent.pop(token))
        floods = sum(1 for c in sim.calls if c["status"] == 429)
        async with httpx.AsyncClient() as http:
            url = f"{sim.base_url}/bot{sim.token}/sendMessage"
            base = []
            for i in range(len(lat)):
                chat = sim.create_chat(f"baseline {i}")  # a fresh chat: never over budget
                t = time.perf_counter()
                r = await http.post(url, json={"chat_id": chat.id, "parse_mode": "HTML",
                                               "text": "<b>Удаление чека</b>\nСтол 5"})
                base.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                await asyncio.sleep(0.04)  # under 30 a second for the bot
    print(f"2. end to end, emit -> message in a Telegram site chat (HTTP, within budget): "
          f"{ms(lat)} (goal p99 < 250 ms); not delivered {len(sent)}; 429s {floods}")
    print(f"   baseline, bare httpx sendMessage round trip: {ms(base)}; hub/bare p50 "
          f"{pct(lat, .5) / pct(base, .5):.1f}x, p99 {pct(lat, .99) / pct(base, .99):.1f}x")


async def burst(started: asyncio.Event) -> str:
    async with TelegramSim() as sim:
        group = sim.create_chat("s00 — алерты").id
        cfg = chain(1, "telegram", [str(group)])
        cfg["telegram"] = {"token": sim.token, "base_url": sim.base_url, "poll_timeout": 1}
        want = {f"B{n:04d}" for n in range(BURST)}
        with tempfile.TemporaryDirectory() as tmp:
            async with make_hub(cfg, tmp, plugins=[kassa_telegram]) as hub:
                t0 = time.time()
                events = [alert("s00", n, prefix="B") for n in range(BURST)]
                await asyncio.gather(*(hub.emit(e) for e in events))
                emitted = time.time() - t0
                started.set()
                missing, last = want, t0
                deadline = time.monotonic() + 85
                while missing and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    got = sim.received(group)
                    missing = want - {tok for m in got for tok in TOKEN.findall(m.text)}
                    last = got[-1].at if got else t0
                counts = await hub.outbox.counts()
        times = [m.at for m in sim.received(group)]
        busiest = max(sum(1 for u in times if t <= u < t + 60) for t in times)
        floods = sum(1 for c in sim.calls if c["status"] == 429)
        sizes = [len(TOKEN.findall(m.text)) for m in sim.received(group)]
    return (f"3. burst of {BURST} alerts into one group: emitted in {emitted:.2f} s; "
            f"{len(times)} messages ({statistics.mean(sizes):.0f} events each on average, "
            f"the largest {max(sizes)}); missing events {len(missing)}; 429s received {floods}; "
            f"most messages in any 60 s {busiest} (budget 20); the last event in the chat "
            f"after {last - t0:.1f} s; outbox: sent {counts['sent']}, merged "
            f"{counts['merged']}, dead {counts['dead']}")


async def main() -> None:
    t0 = time.monotonic()
    idle = await hub_run(None)  # no channel: nothing but the hub's own path
    base = await bare_run()
    started = asyncio.Event()
    # the burst is decided in a second, then waits out the group's minute: the rest runs
    # meanwhile (its hub only wakes to send the next digest)
    burst_task = asyncio.create_task(burst(started))
    await started.wait()
    await asyncio.sleep(5)  # its outbox folds the 1,000 rows into digests: let it finish
    # a channel with Telegram's budgets: the outbox works (sends, digests) beside the log
    live = await hub_run(CaptureChannel(limits=ChannelLimits(1, 20, 30)))
    print_overhead(idle, live, base)
    await chat_latency()
    print(await burst_task)
    print(f"total {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
