"""Delivery benchmark: accepted payments/s through the drivers' API against the same server's
no-op endpoint (goal >= 40 %), and jobs/s through the queue to the register as a ratio to
bare register calls.

    uv run python bench/delivery_bench.py [--seconds 5]

The server is the real hub (``kassa.testing.make_hub``: its HTTP server, its store, the
delivery plugin with its queue) with the core's fake register and a no-op route, in a child
process, so client and server do not share a GIL. The no-op and the payment endpoint are
measured in alternating half-second slices (the shared box's load drifts). Each accepted
payment is a committed row (fsync'd by SQLite's WAL at commit) before its 202.

Queue throughput: N payments are accepted while the register is offline, then it comes
back and the time until the last is fiscalised is taken; the baseline is N bare
``FakeRegister.receipt`` calls in the same child (no journal, no queue, no HTTP).
Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
KEY = "bench-key-0123456789"


def serve(pipe: Any) -> None:
    import anyio
    import kassa_delivery
    from kassa import hookimpl
    from kassa.model import Cashier
    from kassa.runner import settle_memory
    from kassa.testing import make_hub
    from kassa.testing.contracts import sample_receipt
    from kassa.testing.fakes import FakeRegister
    from litestar import post

    from plugins.delivery.tests.conftest import hub_config

    @post("/noop", status_code=202)
    async def noop(data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    with tempfile.TemporaryDirectory() as tmp:
        reg = FakeRegister("fr1", path=Path(tmp) / "fr1.db")

        class Parts:
            @hookimpl
            def register_routes(self, hub: Any) -> list[Any]:
                return [noop]

            @hookimpl
            def register_fiscal_devices(self, hub: Any) -> list[Any]:
                return [reg]

        async def main() -> None:
            cfg = hub_config(api_keys=[{"name": "bench", "key": KEY,
                                        "rights": ["pay", "read"]}], retry_seconds=0.05)
            cfg["chats"] = []
            async with make_hub(cfg, Path(tmp) / "hub", plugins=[kassa_delivery, Parts()],
                                api=True) as hub:
                settle_memory()
                await hub.fiscal.open_shift(Cashier(name="Бенч"), key="bench-shift", site="d1")
                pipe.send(hub.api_port)
                while True:
                    cmd = await anyio.to_thread.run_sync(pipe.recv)
                    if cmd == "offline":
                        reg.offline = True
                        pipe.send("ok")
                    elif cmd == "online":
                        reg.offline = False
                        pipe.send("ok")
                    elif cmd == "bare":
                        n = await anyio.to_thread.run_sync(pipe.recv)
                        t0 = time.perf_counter()
                        for i in range(n):
                            await reg.receipt(sample_receipt(10000), key=f"bare-{i}")
                        pipe.send(time.perf_counter() - t0)
                    else:
                        return

        (Path(tmp) / "hub").mkdir(mode=0o700)
        anyio.run(main)


def body(w: int, i: int, tag: str) -> dict[str, Any]:
    return {"order_id": f"{tag}-{w}-{i}", "site": "d1", "driver": "anna",
            "items": [{"name": "Вода 19 л", "price": 35000, "quantity": "2", "vat": "vat22"}],
            "payment": {"kind": "card", "amount": 70000},
            "client": {"email": "ivan@example.ru"}}


ACCEPTED = [0]


async def rate(client: httpx.AsyncClient, seconds: float, make: Any, workers: int = 16) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop:
            path, data, headers = make(w, i)
            r = await client.post(path, json=data, headers=headers)
            assert r.status_code == 202, r.text
            done += 1
            ACCEPTED[0] += path != "/noop"
            i += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return done / (time.perf_counter() - t0)


async def run(base: str, seconds: float, pipe: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=64, keepalive_expiry=3)
    h = {"X-Api-Key": KEY}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        pipe.send("offline")  # the queue waits: the API alone is measured
        pipe.recv()
        noop, pay, slices = 0.0, 0.0, max(2, int(seconds * 2))
        for n in range(slices):
            noop += await rate(client, 0.5, lambda w, i: ("/noop", {"a": 1}, h))
            pay += await rate(client, 0.5, lambda w, i, n=n: (
                "/api/delivery/v1/payments", body(w, i, f"p{n}"),
                {**h, "Idempotency-Key": f"p-{n}-{w}-{i}"}))
        out["noop_rps"] = round(noop / slices, 1)
        out["accepted_payments_per_s"] = round(pay / slices, 1)
        out["ratio_pct"] = round(100 * pay / noop, 1)
        out["goal_pct"] = 40

        jobs = (await client.get("/api/delivery/v1/jobs", params={"status": "queued",
                                                                 "limit": 1},
                                 headers=h)).json()
        last = jobs[0]["job_id"]
        queued = ACCEPTED[0]
        pipe.send("online")
        pipe.recv()
        t0 = time.perf_counter()
        while True:
            j = (await client.get(f"/api/delivery/v1/jobs/{last}", headers=h)).json()
            if j["status"] != "queued":
                break
            await asyncio.sleep(0.05)
        took = time.perf_counter() - t0
        out["queue_jobs"] = queued
        out["queue_jobs_per_s"] = round(queued / took, 1)
        pipe.send("bare")
        pipe.send(queued)
        bare = pipe.recv()
        out["bare_register_calls_per_s"] = round(queued / bare, 1)
        out["queue_vs_bare_pct"] = round(100 * (queued / took) / (queued / bare), 1)
    return out



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=serve, args=(child,))
    proc.start()
    try:
        port = parent.recv()
        out = asyncio.run(run(f"http://127.0.0.1:{port}", a.seconds, parent))
    finally:
        parent.send("stop")
        proc.join(30)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
