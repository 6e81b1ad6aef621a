"""r_keeper plugin benchmark (plain script, < 60 s).

1. Events/s parsed and mapped: station pushes through ``notify.Interpreter`` and GetOrder
   answers through ``OrderTracker.diff``; baseline = bare ``ElementTree.fromstring`` of the
   same bytes (the ratio says what our mapping costs on top of XML parsing).
2. Latency from a simulator action to the emitted Event, p50/p99, with 50 simulated sites in
   one process; baseline = a bare GetSystemInfo2 round trip to the same simulators.

    uv run python bench/rkeeper_bench.py
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import anyio
from kassa.secret import Secret
from kassa_rkeeper import notify
from kassa_rkeeper import sim_data as ref
from kassa_rkeeper.client import RK7Client
from kassa_rkeeper.settings import RKeeperSettings
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.source import RKeeperSource
from kassa_rkeeper.tracker import OrderTracker

SITES = 50
START = datetime(2026, 3, 14, 12, 0)
TZ = ZoneInfo("Europe/Moscow")


def to_time(text: str | None) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ) if text else datetime.now(TZ)


def payloads() -> tuple[list[bytes], list[bytes]]:
    """Station pushes and GetOrder answers produced by a simulator's own code paths."""
    sim = RKeeperSim("b", start=START, notify_url="")
    pushes: list[bytes] = []
    sim.notifier._put = pushes.append  # capture instead of queueing
    orders: list[bytes] = []
    rest = sim.rest
    for i in range(300):
        o = rest.open_order(1 + i % 12, 11, 15001, guests=2)
        for item in (1001, 1002, 1004, 1015):
            rest.add_draft(o, item)
        rest.save(o, 15001)
        rest.delete_dish(o, o.dishes()[0], author=11, reason=2, manager=ref.MANAGER_ID)
        rest.apply_discount(o, 3, "7788001")
        rest.print_bill(o, 15001, ref.CASHIER_ID)
        rest.pay(o, 15001, ref.CASHIER_ID, [(2, o.to_pay)])
        out = ET.Element("RK7QueryResult")
        sim.xml.render_order(o, out)
        orders.append(ET.tostring(out.find("Order"), encoding="unicode").encode())
        rest.orders.clear()
    return [p for p in pushes if p.lstrip().startswith(b"<?xml") and b"StationEvent" in p], orders


def throughput() -> None:
    pushes, orders = payloads()
    t = time.perf_counter()
    for p in pushes:
        ET.fromstring(p)
    for o in orders:
        ET.fromstring(o)
    base = time.perf_counter() - t
    interp = notify.Interpreter("b", to_time)
    tracker = OrderTracker("b", to_time)
    n = 0
    t = time.perf_counter()
    for p in pushes:
        n += len(interp.accept(notify.parse(p)).events)
    for o in orders:
        n += len(tracker.diff(ET.fromstring(o)))
    mapped = time.perf_counter() - t
    docs = len(pushes) + len(orders)
    print(f"parse+map: {docs} payloads -> {n} events in {mapped:.3f} s = {n / mapped:,.0f} events/s"
          f" ({docs / mapped:,.0f} payloads/s)")
    print(f"baseline ElementTree.fromstring only: {docs / base:,.0f} payloads/s; "
          f"mapping costs x{mapped / base:.1f} of bare parsing")


async def latency() -> None:
    sims = [RKeeperSim(f"s{i}", rest_code=f"1999{i:05d}", seed=i, notify_url="")
            for i in range(SITES)]
    for s in sims:
        await s.start()
    seen: dict[tuple[str, str], float] = {}
    waiting: dict[tuple[str, str], float] = {}
    lat: list[float] = []
    drained = anyio.Event()  # a round's awaited kinds have all arrived (one per round)

    async def emit(event):  # records when the awaited kind arrives for the site
        key = (event.site, event.kind)
        if key in waiting:
            lat.append(time.perf_counter() - waiting.pop(key))
            if not waiting:
                drained.set()
        seen[key] = time.perf_counter()
        return True

    sources = [RKeeperSource(s.code, RKeeperSettings(
        host="127.0.0.1", port=s.port, scheme="http", user="kassa", password=Secret("kassa"),
        restaurant_code=s.rest.code, listen_host="127.0.0.1", listen_port=0, poll_interval=5.0,
        timeout=5.0)) for s in sims]
    base: list[float] = []
    async with anyio.create_task_group() as tg:
        for src in sources:
            tg.start_soon(src.run, emit)
        for src, s in zip(sources, sims, strict=True):
            await src.ready.wait()
            s.subscribe(f"http://127.0.0.1:{src.listen_port}/rkeeper/notify")
        await anyio.sleep(1.0)
        clients = [RK7Client(f"http://127.0.0.1:{s.port}", "kassa", Secret("kassa")) for s in sims]
        for c in clients:
            t = time.perf_counter()
            await c.call("GetSystemInfo2")
            base.append(time.perf_counter() - t)
        with anyio.move_on_after(35):
            for rnd in range(6):
                for s in sims:  # a push-only fact and a push -> GetOrder -> diff fact
                    waiting[(s.code, "employee_login")] = time.perf_counter()
                    s.rest.login(11, 15001)
                    waiting[(s.code, "order_saved")] = time.perf_counter()
                    o = s.rest.open_order(1 + rnd, 11, 15001, guests=1)
                    s.rest.add_draft(o, 1001)
                    s.rest.save(o, 15001)
                    await anyio.sleep(0.02)
                drained = anyio.Event()
                with anyio.move_on_after(5):
                    if waiting:
                        await drained.wait()
                waiting.clear()
        for c in clients:
            await c.aclose()
        tg.cancel_scope.cancel()
    for s in sims:
        await s.stop()
    lat.sort()
    base.sort()
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    b50 = statistics.median(base)
    print(f"latency sim action -> Event, {SITES} sites, {len(lat)} samples: "
          f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"baseline GetSystemInfo2 round trip p50 {b50 * 1000:.1f} ms; "
          f"event p50 = x{p50 / b50:.1f} of one round trip")


if __name__ == "__main__":
    t0 = time.perf_counter()
    throughput()
    anyio.run(latency)
    print(f"total {time.perf_counter() - t0:.1f} s")
