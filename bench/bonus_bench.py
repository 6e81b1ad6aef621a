"""Bonus engine benchmark: postings/s through the REST API against the same server's no-op
endpoint, hold+capture latency at a paced ~200 rps, and 1,000 concurrent double-spends.

    uv run python bench/bonus_bench.py [--seconds 5] [--pg postgresql+psycopg://user@host]

The server is the real hub (``kassa.testing.make_hub``: its HTTP server, its store and its
single-writer transaction) with the bonus plugin and a no-op route, in a child process, so the
client and the server do not share a GIL. With ``--pg`` (a server; a database in the URL is
only where it connects to create and drop, ``postgres`` by default) the bench creates a
database of its own with a new unique name, and drops that one, and nothing else, when it
ends; an existing database is never dropped (it once wiped the shared ``test``). Prints a
JSON summary; exits non-zero on any overdraft or audit problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from typing import Any

import httpx

KEY = "bench-key-0123456789"
H = {"X-Api-Key": KEY}


def serve(url: str, pipe: Any) -> None:
    """The child process: a hub on ``url`` (or a temporary SQLite); answers the port, then an
    audit of the ledger and the victim's available balance when asked."""
    import anyio
    import kassa_bonus
    from kassa import hookimpl
    from kassa.runner import settle_memory
    from kassa.testing import make_hub
    from kassa_bonus.audit import audit
    from kassa_bonus.service import service_for
    from litestar import post

    @post("/noop", status_code=200)
    async def noop(data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    class NoopRoute:
        @hookimpl
        def register_routes(self, hub: Any) -> list[Any]:
            return [noop]

    async def main() -> None:
        config: dict[str, Any] = {"bonus": {"schedule_seconds": 0, "api_keys": [
            {"name": "bench", "key": KEY, "scopes": ["admin"]}]}}
        if url:
            config["store"] = {"url": url}
        with tempfile.TemporaryDirectory() as tmp:
            async with make_hub(config, tmp, plugins=[kassa_bonus, NoopRoute()],
                                api=True) as hub:
                settle_memory()  # as `kassa run` does once the hub is up
                pipe.send(hub.api_port)
                victim = await anyio.to_thread.run_sync(pipe.recv)
                svc = await service_for(hub)
                row = await svc.ledger.account(victim)
                async with svc.store.read() as conn:
                    pipe.send((await audit(conn), row.balance - row.held))

    anyio.run(main)


def _admin_url(url: str) -> tuple[str, str]:
    """(the server's URL without a database, the database to connect to for CREATE/DROP)."""
    rest = url.split("://", 1)[-1]
    server, _, db = rest.partition("/")
    return "postgresql://" + server, (db.split("?", 1)[0] or "postgres")


def own_database(url: str) -> str:
    """Create a database no one else uses (a new unique name) and return its URL; creating
    fails, and nothing is dropped, if the name exists."""
    import psycopg

    server, admin_db = _admin_url(url)
    name = f"kassa_bonus_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/{admin_db}", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # DuplicateDatabase: refused, not replaced
    return f"postgresql+psycopg://{server.split('://', 1)[1]}/{name}"


def drop_own_database(url: str, created: str) -> None:
    """Drop ``created``, only if it is the name own_database made (the bench's prefix)."""
    import psycopg

    name = created.rpartition("/")[2]
    if not name.startswith("kassa_bonus_bench_"):
        raise SystemExit(f"refusing to drop {name!r}: the bench did not create it")
    server, admin_db = _admin_url(url)
    with psycopg.connect(f"{server}/{admin_db}", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


async def run(base: str, seconds: float, same_account: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # idle connections expire before the server's 5 s keep-alive does: no reuse races
    limits = httpx.Limits(max_connections=64, keepalive_expiry=3)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        acc = await new_guest(client, "g-main")
        # each worker posts to a guest of its own (a chain's tills serve different guests);
        # --same-account: all 16 to one account, which its row lock serializes by design
        accounts = [acc] * 16 if same_account else [
            await new_guest(client, f"g-{w}") for w in range(16)]
        # the shared box's load drifts: alternate half-second slices of both, sum each
        noop, earn, slices = 0.0, 0.0, max(2, int(seconds * 2))
        for n in range(slices):
            noop += await rate(client, 0.5, lambda w, i: ("/noop", {"a": 1}, H))
            earn += await rate(client, 0.5, lambda w, i, n=n: (
                "/api/bonus/v1/earn", {"account": accounts[w], "amount": 100},
                {**H, "Idempotency-Key": f"earn-{n}-{w}-{i}"}))
        out["noop_rps"] = round(noop / slices, 1)
        out["postings_per_s"] = round(earn / slices, 1)
        out["ratio_pct"] = round(100 * earn / noop, 1)

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
    ap.add_argument("--same-account", action="store_true",
                    help="all earn postings to one account (row-lock bound on PostgreSQL)")
    args = ap.parse_args()
    if not args.pg:
        return bench(args, "")
    created = own_database(args.pg)
    try:
        return bench(args, created)
    finally:
        drop_own_database(args.pg, created)


def bench(args: argparse.Namespace, pg: str) -> int:
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=serve, args=(pg, there), daemon=True)
    child.start()
    if not here.poll(60):
        raise SystemExit("server did not start")
    result = asyncio.run(run(f"http://127.0.0.1:{here.recv()}", args.seconds,
                         args.same_account))
    here.send(result.pop("_victim"))
    problems, left = here.recv()
    child.join(30)
    result["double_spend_available_after"] = left
    result["overdrafts"] = int(left < 0) + int(result["double_spend_accepted"] > 100)
    result["audit_problems"] = len(problems)
    result["store"] = "postgresql" if pg else "sqlite"
    result["same_account"] = args.same_account
    print(json.dumps(result, indent=2))
    return 1 if result["overdrafts"] or problems else 0


if __name__ == "__main__":
    sys.exit(main())
