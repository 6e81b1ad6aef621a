"""ATOL Web Server benchmark: receipts/s and latency p50/p99 through ``hub.fiscal`` (validation,
the journal on SQLite, the service, its events) against the bare ``AtolRegister.receipt`` call,
on the same emulator in the same run. Goal: the hub's overhead <= 10 %.

    uv run python bench/atol_bench.py [--receipts 200] [--rounds 3] [--delay 0]

The emulator runs in a child process (its own GIL), so both sides pay the same HTTP round
trips; rounds alternate bare / hub so drift on a shared box hits both. ``--delay`` is the
register's own time per request (a real ATOL prints a receipt in ~1-2 s; 0 measures our
overhead alone, the worst case for the ratio). Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def serve(delay: float, pipe: Any) -> None:
    """The child: one emulated register; answers its URL, stops when the pipe says so."""
    import anyio
    from kassa_atol.sim import AtolSimulator

    async def main() -> None:
        sim = AtolSimulator("r1", delay=delay)
        await sim.start()
        pipe.send(sim.url)
        await anyio.to_thread.run_sync(pipe.recv)
        pipe.send(sim.effects())
        await sim.stop()

    anyio.run(main)


def summary(name: str, lat: list[float], wall: float) -> dict[str, Any]:
    lat = sorted(lat)
    return {"name": name, "receipts": len(lat), "per_s": round(len(lat) / wall, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2)}


async def bench(url: str, n: int, rounds: int) -> dict[str, Any]:
    import kassa_atol
    from kassa.model import Cashier
    from kassa.testing import make_hub
    from kassa.testing.contracts import sample_receipt
    from kassa_atol.register import AtolRegister
    from kassa_atol.settings import RegisterSettings

    receipt = sample_receipt()
    cfg = RegisterSettings(name="atol-r1", url=url, poll_interval=0.005)
    bare = AtolRegister("atol-r1", cfg)
    await bare.open_shift(Cashier(name="Бенч"), key="bench:open")
    fragment = {"atol": {"registers": [{"name": "atol-r1", "url": url,
                                        "poll_interval": 0.005}]},
                "sites": [{"code": "r1", "fiscal": "atol-r1"}]}
    out: dict[str, list[float]] = {"bare": [], "hub": []}
    walls = {"bare": 0.0, "hub": 0.0}
    with tempfile.TemporaryDirectory(prefix="atol-bench-") as tmp:
        async with make_hub(fragment, Path(tmp), plugins=[kassa_atol]) as hub:
            for _ in range(5):  # warm both paths (connections, SQLite pages)
                await bare.receipt(receipt, key=f"warm:bare:{_}")
                await hub.fiscal.receipt(receipt, key=f"warm:hub:{_}", site="r1")
            for rnd in range(rounds):
                for name in ("bare", "hub"):
                    start = time.perf_counter()
                    for i in range(n):
                        key = f"{name}:{rnd}:{i}"
                        t = time.perf_counter()
                        if name == "bare":
                            await bare.receipt(receipt, key=key)
                        else:
                            await hub.fiscal.receipt(receipt, key=key, site="r1")
                        out[name].append(time.perf_counter() - t)
                    walls[name] += time.perf_counter() - start
    await bare.stop()
    b, h = summary("bare client", out["bare"], walls["bare"]), \
        summary("hub.fiscal", out["hub"], walls["hub"])
    return {"bare": b, "hub": h,
            "throughput_ratio": round(h["per_s"] / b["per_s"], 3),
            "p50_ratio": round(h["p50_ms"] / b["p50_ms"], 3),
            "p99_ratio": round(h["p99_ms"] / b["p99_ms"], 3),
            "overhead_p50_ms": round(h["p50_ms"] - b["p50_ms"], 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--receipts", type=int, default=200, help="per round and path")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.0, help="the register's seconds/request")
    args = ap.parse_args()
    import anyio

    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=serve, args=(args.delay, there), daemon=True)
    child.start()
    try:
        url = here.recv()
        result = anyio.run(bench, url, args.receipts, args.rounds)
        here.send("stop")
        made = here.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
    expected = 2 * (args.receipts * args.rounds + 5)
    result |= {"delay_s": args.delay, "emulator_receipts": made,
               "goal": "hub overhead <= 10% (throughput_ratio >= 0.9)"}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if made != expected:
        print(f"emulator holds {made} receipts, expected {expected}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
