"""Bonus engine benchmark: postings/s through the REST API against the same server's no-op
endpoint, hold+capture latency at a paced ~200 rps, and 1,000 concurrent double-spends.

    uv run python bench/bonus_bench.py [--seconds 5] [--pg postgresql+psycopg://...]

The server is a real uvicorn on 127.0.0.1:0 in its own thread (own event loop); the client is
httpx in the main thread. Prints a JSON summary; exits non-zero on any overdraft.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import kassa_bonus
import uvicorn
from kassa.secret import Secret
from kassa.store import Store
from kassa_bonus import schema
from kassa_bonus.audit import audit
from kassa_bonus.service import service_for
from kassa_bonus.settings import ApiKey, BonusSettings
from litestar import Litestar, post

KEY = "bench-key-0123456789"
H = {"X-Api-Key": KEY}


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Hub:
    def __init__(self, store: Any) -> None:
        self.engine = store.engine
        self.transaction = store.write
        self.clock = Clock()
        self.settings = type("S", (), {"sites": []})()
        self.bonus = BonusSettings(api_keys=[ApiKey("bench", Secret(KEY), ["admin"])])

    def section(self, name: str) -> Any:
        return self.bonus if name == "bonus" else None

    async def send(self, message: Any, *, key: str) -> bool:
        return True


@post("/noop", status_code=200)
async def noop(data: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


def serve(url: str, sock: socket.socket, ready: threading.Event, box: dict[str, Any]) -> None:
    async def main() -> None:
        store = Store(url)
        engine = store.engine
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.run_sync(schema.metadata.drop_all)
        hub = Hub(store)
        await service_for(hub)
        app = Litestar(route_handlers=[noop, *kassa_bonus.register_routes(hub)])
        server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off",
                                               timeout_keep_alive=120))  # no reuse races
        box.update(server=server, hub=hub, loop=asyncio.get_running_loop())
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag)
            await asyncio.sleep(0.01)
        ready.set()
        await task
        await engine.dispose()

    asyncio.run(main())


async def rate(client: httpx.AsyncClient, seconds: float, make: Any, workers: int = 16) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop:
            path, body, headers = make(w, i)
            r = await client.post(path, json=body, headers=headers)
            assert r.status_code < 300, r.text
            done += 1
            i += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return done / (time.perf_counter() - t0)


async def new_guest(client: httpx.AsyncClient, key: str) -> str:
    g = (await client.post("/api/bonus/v1/guests", json={"name": "bench"},
                           headers={**H, "Idempotency-Key": key})).json()
    info = (await client.get(f"/api/bonus/v1/guests/{g['guest_id']}", headers=H)).json()
    return next(a["id"] for a in info["accounts"] if a["kind"] == "bonus")


async def run(base: str, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        acc = await new_guest(client, "g-main")
        out["noop_rps"] = await rate(client, seconds, lambda w, i: ("/noop", {"a": 1}, H))
        out["postings_per_s"] = await rate(client, seconds, lambda w, i: (
            "/api/bonus/v1/earn", {"account": acc, "amount": 100},
            {**H, "Idempotency-Key": f"earn-{w}-{i}"}))
        out["ratio_pct"] = round(100 * out["postings_per_s"] / out["noop_rps"], 1)

        # hold + capture pairs paced at 100/s (= ~200 requests/s); latency counts from the
        # scheduled start, so a server that falls behind shows it (no coordinated omission);
        # in-flight pairs are capped so the client's own pool does not melt down
        await client.post("/api/bonus/v1/earn", json={"account": acc, "amount": 10**9},
                          headers={**H, "Idempotency-Key": "seed-main"})
        lat: list[float] = []
        pace, n = 1 / 100, int(100 * seconds)
        gate = asyncio.Semaphore(48)

        async def pair(i: int) -> None:
            t0 = t_start + i * pace
            async with gate:
                await one_pair(i, t0)

        async def one_pair(i: int, t0: float) -> None:
            h = await client.post("/api/bonus/v1/holds", json={"account": acc, "amount": 50},
                                  headers={**H, "Idempotency-Key": f"h-{i}"})
            assert h.status_code == 201, h.text
            hold = h.json()["hold"]
            c = await client.post(f"/api/bonus/v1/holds/{hold}/capture", json={},
                                  headers={**H, "Idempotency-Key": f"c-{i}"})
            assert c.status_code == 200, c.text
            lat.append(time.perf_counter() - t0)

        tasks, t_start = [], time.perf_counter()
        for i in range(n):
            await asyncio.sleep(max(0.0, t_start + i * pace - time.perf_counter()))
            tasks.append(asyncio.create_task(pair(i)))
        await asyncio.gather(*tasks)
        lat.sort()
        out["hold_capture_pairs_per_s"] = round(n / (time.perf_counter() - t_start), 1)
        out["hold_capture_target_pairs_per_s"] = 100
        out["hold_capture_p50_ms"] = round(1000 * lat[len(lat) // 2], 1)
        out["hold_capture_p99_ms"] = round(1000 * lat[int(len(lat) * 0.99) - 1], 1)

        # 1,000 concurrent spends of 100 against a balance of 10,000: exactly 100 may pass
        victim = await new_guest(client, "g-victim")
        await client.post("/api/bonus/v1/earn", json={"account": victim, "amount": 10000},
                          headers={**H, "Idempotency-Key": "seed-victim"})
        codes: list[int] = []

        async def attempt(i: int) -> None:
            r = await client.post("/api/bonus/v1/holds", json={"account": victim, "amount": 100},
                                  headers={**H, "Idempotency-Key": f"ds-{i}"})
            codes.append(r.status_code)

        await asyncio.gather(*(attempt(i) for i in range(1000)))  # all at once, on purpose
        out["double_spend_accepted"] = codes.count(201)
        out["double_spend_refused"] = codes.count(422)
        out["_victim"] = victim
    return out


def main() -> int:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--pg", default="")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.pg or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    ready, box = threading.Event(), {}
    t = threading.Thread(target=serve, args=(url, sock, ready, box), daemon=True)
    t.start()
    if not ready.wait(30):
        raise SystemExit("server did not start")
    result = asyncio.run(run(f"http://127.0.0.1:{sock.getsockname()[1]}", args.seconds))

    async def check() -> tuple[list[str], int]:
        svc = await service_for(box["hub"])
        row = await svc.ledger.account(result.pop("_victim"))
        async with svc.store.read() as conn:
            return await audit(conn), row.balance - row.held

    problems, left = asyncio.run_coroutine_threadsafe(check(), box["loop"]).result(60)
    result["double_spend_available_after"] = left
    result["overdrafts"] = int(left < 0) + int(result["double_spend_accepted"] > 100)
    result["audit_problems"] = len(problems)
    result["store"] = "postgresql" if args.pg else "sqlite"
    box["server"].should_exit = True
    t.join(10)
    print(json.dumps(result, indent=2))
    return 1 if result["overdrafts"] or problems else 0


if __name__ == "__main__":
    sys.exit(main())
