"""Chain catch-up benchmark: a store back after a day offline with 3,000 checks.

Real engines, as the chain runs: a central nats-server (JetStream domain ``hub``, a leafnodes
listener), the store's leaf nats-server (``kassa chain store new``'s leaf config, its own
domain), a store hub on SQLite running the chain's ``StoreService`` (outbox -> the store's
stream) and a centre hub on PostgreSQL running ``CentreService`` (the centre's stream sources
the store's; batches applied in one transaction each, with the analysis lines).

The store's leaf is stopped (the store is cut off: its tills keep selling into SQLite), then
``--checks`` sales of ``--lines`` lines each, spread over the past 24 hours, are written to the
store's pos tables as the till's payment leaves them (sale, lines, tenders, the paid attempt),
and the store's service numbers them into its outbox. The clock starts when the leaf starts
again and stops when the centre holds every document: the catch-up the operator waits for.
Goal (issue #16): under 60 s on this machine.

For scale, the same number of documents of the same size through a bare JetStream publish +
pull-consume loop on the central server, in the same run (``bare``).

    uv run python bench/pos_chain_catchup_bench.py [--checks 3000] [--lines 8]

Needs ``nats-server`` on PATH and PostgreSQL (``KASSA_TEST_PG_URL``, default the machine's
``test`` database); a fresh schema is made and dropped. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, conf: Path) -> None:
        self.conf = conf
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["nats-server", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def rows(n: int, lines: int, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """``n`` paid sales as the pos tables hold them, one every 24h / n."""
    from kassa import codec
    from kassa.model import VatRate
    from kassa_pos.engine.values import SaleLine, Tender

    out: dict[str, list[dict[str, Any]]] = {"sale": [], "sale_line": [], "tender": [],
                                            "attempt": []}
    step = timedelta(hours=24) / n
    for i in range(n):
        cid, key = f"c{i:05d}", f"pos:S01:T1:c{i:05d}:1"
        at = now - timedelta(hours=24) + step * i
        total = 0
        for j in range(lines):
            price = 4990 + 1000 * j
            sl = SaleLine(item_code=f"I{j:03d}", name=f"Товар {j}", quantity=1, price=price,
                          amount=price, vat=VatRate.VAT22)
            out["sale_line"].append({
                "check_id": cid, "line_no": j, "item_code": sl.item_code, "name": sl.name,
                "quantity": 1, "returned": 0, "total": price, "refunded": 0, "bonus": 0,
                "bonus_refunded": 0, "line": codec.dumps(sl)})
            total += price
        receipt = {"operation": "sell", "total": total, "cashier": {"name": "Анна"},
                   "lines": [{"name": f"Товар {j}", "quantity": "1", "total": 4990 + 1000 * j}
                             for j in range(lines)]}
        out["sale"].append({"check_id": cid, "key": key, "site": "S01", "till": "T1",
                            "shift": 1, "number": i + 1, "fn": "9999078900001234",
                            "fd": i + 1, "fiscal_sign": "1234567890", "total": total,
                            "change": 0, "issued_at": at, "document": "{}",
                            "receipt": json.dumps(receipt, ensure_ascii=False)})
        out["tender"].append({"check_id": cid, "n": 0, "kind": "cash", "amount": total,
                              "refunded": 0, "result": None,
                              "tender": codec.dumps(Tender(kind="cash", amount=total))})
        out["attempt"].append({"key": key, "check_id": cid, "site": "S01", "till": "T1",
                               "n": 1, "status": "done", "created_at": at, "updated_at": at,
                               "plan": json.dumps({"draft": {"guest": f"g{i % 400}",
                                                             "cashier": "Анна"}})})
    return out


async def until(probe: Any, within: float, what: str) -> None:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if await probe():
            return
        await asyncio.sleep(0.05)
    raise SystemExit(f"{what}: not within {within:.0f} s")


async def bare(url: str, n: int, size: int) -> float:
    """Seconds to publish ``n`` messages of ``size`` bytes into a stream and pull them back."""
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BARE", subjects=["bare.>"]))
    body = b"x" * size
    t0 = time.perf_counter()
    acks = [js.publish(f"bare.{i % 8}", body, headers={"Nats-Msg-Id": f"b{i}"})
            for i in range(n)]
    for k in range(0, n, 256):
        await asyncio.gather(*acks[k:k + 256])
    sub = await js.pull_subscribe("bare.>", durable="bare", stream="BARE")
    got = 0
    while got < n:
        for msg in await sub.fetch(256, timeout=5):
            await msg.ack()
            got += 1
    took = time.perf_counter() - t0
    await nc.close()
    return took


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import kassa_pos
    import sqlalchemy as sa
    from kassa.testing import make_hub
    from kassa_pos.chain import link
    from kassa_pos.chain.config import leaf_conf
    from kassa_pos.chain.ingest import doc_t
    from kassa_pos.chain.outbox import out_t
    from kassa_pos.engine import pay_tables
    from sqlalchemy.ext.asyncio import create_async_engine

    tmp = Path(tempfile.mkdtemp(prefix="kassa-catchup-"))
    hub_port, leaf_listen, store_port = _port(), _port(), _port()
    (tmp / "hub.conf").write_text(
        f"listen: 127.0.0.1:{hub_port}\nserver_name: hub\n"
        f'jetstream {{ domain: hub, store_dir: "{tmp / "hubjs"}" }}\n'
        f"leafnodes {{ listen: 127.0.0.1:{leaf_listen} }}\n")
    (tmp / "leaf.conf").write_text(leaf_conf("S01", f"nats://127.0.0.1:{leaf_listen}",
                                             tmp / "leafjs", port=store_port))
    hub, leaf = Server(tmp / "hub.conf"), Server(tmp / "leaf.conf")
    schema = f"catchup_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    hub.start()
    leaf.start()
    result: dict[str, Any] = {"checks": args.checks, "lines_per_check": args.lines}
    try:
        centre_cfg = {"store": {"url": f"{PG}?options=-csearch_path%3D{schema}"},
                      "sites": [{"code": "S01", "name": "Магазин"}],
                      "pos": {"chain": {"nats": f"nats://127.0.0.1:{hub_port}",
                                        "centre": True, "stores": ["S01"]}}}
        store_cfg = {"sites": [{"code": "S01"}],
                     "pos": {"store": "S01", "chain": {"nats": f"nats://127.0.0.1:{store_port}",
                                                       "interval": 0.2}}}
        async with make_hub(store_cfg, tmp / "store", plugins=[kassa_pos]) as shop, \
                make_hub(centre_cfg, tmp / "centre", plugins=[kassa_pos]) as centre:
            await until(lambda: _online(link.link(shop)), 30, "the store's link")
            leaf.stop()  # the store is cut off
            data = rows(args.checks, args.lines, datetime.now(UTC))
            async with shop.store.write() as c:
                for table in ("attempt", "sale", "sale_line", "tender"):
                    await c.execute(getattr(pay_tables, table).insert(), data[table])

            async def numbered() -> bool:
                async with shop.store.read() as c:
                    n = (await c.execute(sa.select(sa.func.count()).select_from(out_t)))
                    return int(n.scalar_one()) >= args.checks
            await until(numbered, 120, "the store's outbox numbering the sales")
            await until(lambda: _offline(link.link(shop)), 60, "the store noticing the cut")
            async with shop.store.read() as c:
                size = int((await c.execute(sa.select(sa.func.avg(sa.func.length(
                    out_t.c.data))))).scalar_one())
            result["doc_bytes_avg"] = size

            async def arrived() -> bool:
                async with centre.engine.connect() as c:
                    n = await c.execute(sa.select(sa.func.count()).select_from(doc_t))
                    return int(n.scalar_one()) >= args.checks
            t0 = time.perf_counter()
            leaf.start()  # the link is back
            await until(lambda: _online(link.link(shop)), 600, "the store publishing")
            result["store_published_s"] = round(time.perf_counter() - t0, 2)
            await until(arrived, 600, "the centre holding every document")
            result["catch_up_s"] = round(time.perf_counter() - t0, 2)
            result["docs_per_s"] = round(args.checks / result["catch_up_s"], 1)
            async with centre.engine.connect() as c:
                dupes = (await c.execute(sa.text(
                    "SELECT count(*) - count(DISTINCT doc_id) FROM pos_chain_doc"))).scalar_one()
                lines = (await c.execute(sa.text("SELECT count(*) FROM pos_chain_line"))
                         ).scalar_one()
            result["duplicates"] = int(dupes)
            result["analysis_lines"] = int(lines)
        result["bare_jetstream_s"] = round(await bare(f"nats://127.0.0.1:{hub_port}",
                                                      args.checks, size), 2)
        result["goal_s"] = 60
        result["met"] = result["catch_up_s"] < 60
    finally:
        leaf.stop()
        hub.stop()
        async with admin.begin() as c:
            await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        await admin.dispose()
    return result


async def _online(state: Any) -> bool:
    return state is not None and state.online and state.pending == 0


async def _offline(state: Any) -> bool:
    return state is not None and not state.online


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--profile", metavar="FILE.html|FILE.txt",
                        help="profile the run (uv run --with pyinstrument)")
    ns = parser.parse_args()
    if ns.profile:
        from pyinstrument import Profiler

        with Profiler(async_mode="enabled") as prof:
            print(json.dumps(asyncio.run(main(ns)), indent=2))
        Path(ns.profile).write_text(prof.output_text() if ns.profile.endswith(".txt")
                                    else prof.output_html())
    else:
        print(json.dumps(asyncio.run(main(ns)), indent=2))
    sys.exit(0)
