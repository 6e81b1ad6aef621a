"""Chain ingest benchmark: sales/s into the centre's PostgreSQL from 20 stores at once.

Real engines: one central nats-server (domain ``hub``, a leafnodes listener) and ``--stores``
leaf nats-servers, each with its own JetStream domain and stream ``CHAIN_<code>`` (the config
``kassa chain store new`` writes); a centre hub on PostgreSQL running the chain's
``CentreService`` (the centre's stream sources every store's, a fetched batch applied in one
transaction with its analysis lines). The stores are simulated by publishers that put
``--docs`` sale documents each (8 lines, as a store's outbox sends them) into their own
stream, all at once, with ``Nats-Msg-Id``. The clock runs from the first publish until
PostgreSQL holds every document.

Baseline in the same run: the same documents published into one plain stream on the
central server and pulled + acked by one consumer (``bare``): what JetStream alone does.

    uv run python bench/pos_chain_ingest_bench.py [--stores 20] [--docs 300]

Needs ``nats-server`` on PATH and PostgreSQL (``KASSA_TEST_PG_URL``); a fresh schema is
made and dropped. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from pos_chain_catchup_bench import Server, _port, rows, until

PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def documents(code: str, n: int) -> list[Any]:
    """``n`` sale documents of store ``code`` as its outbox builds them (one till)."""
    from kassa_pos.chain.documents import build

    data = rows(n, 8, datetime.now(UTC) - timedelta(hours=1))
    lines: dict[str, list[dict[str, Any]]] = {}
    for ln in data["sale_line"]:
        lines.setdefault(ln["check_id"], []).append({**ln, "line": json.loads(ln["line"]),
                                                     "quantity": "1.000", "group": ""})
    out = []
    for i, sale in enumerate(data["sale"]):
        row = {**sale, "till": f"{code}-T1", "check_id": f"{code}-{sale['check_id']}",
               "lines": lines[sale["check_id"]], "guest": f"g{i % 400}", "cashier": "Анна",
               "tenders": [{"kind": "cash", "amount": sale["total"]}]}
        out.append(build("sale", row, store=code, seq=i + 1))
    return out


async def bare(url: str, docs: list[Any]) -> float:
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BARE", subjects=["bare.>"]))
    t0 = time.perf_counter()
    pending = [js.publish(f"bare.{d.store}", d.encode(), headers=d.headers) for d in docs]
    for k in range(0, len(pending), 256):
        await asyncio.gather(*pending[k:k + 256])
    sub = await js.pull_subscribe("bare.>", durable="bare", stream="BARE")
    got = 0
    while got < len(docs):
        for msg in await sub.fetch(256, timeout=5):
            json.loads(msg.data)  # the consumer reads what it got, as the centre does
            await msg.ack()
            got += 1
    took = time.perf_counter() - t0
    await nc.close()
    return took


async def publish(url: str, code: str, docs: list[Any]) -> None:
    """A store's documents into its own stream (made before the clock started)."""
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream(domain=code)
    pending = [js.publish(d.subject, d.encode(), headers=d.headers, timeout=30) for d in docs]
    for k in range(0, len(pending), 64):
        await asyncio.gather(*pending[k:k + 64])
    await nc.close()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import kassa_pos
    import nats
    import sqlalchemy as sa
    from kassa.testing import make_hub
    from kassa_pos.chain.config import leaf_conf, stream_name
    from kassa_pos.chain.ingest import doc_t
    from nats.js.api import StreamConfig
    from sqlalchemy.ext.asyncio import create_async_engine

    codes = [f"S{i:02d}" for i in range(1, args.stores + 1)]
    tmp = Path(tempfile.mkdtemp(prefix="kassa-ingest-"))
    hub_port, leaf_listen = _port(), _port()
    (tmp / "hub.conf").write_text(
        f"listen: 127.0.0.1:{hub_port}\nserver_name: hub\n"
        f'jetstream {{ domain: hub, store_dir: "{tmp / "hubjs"}" }}\n'
        f"leafnodes {{ listen: 127.0.0.1:{leaf_listen} }}\n")
    hub = Server(tmp / "hub.conf")
    leaves: dict[str, tuple[Server, str]] = {}
    for code in codes:
        port = _port()
        conf = tmp / f"leaf-{code}.conf"
        conf.write_text(leaf_conf(code, f"nats://127.0.0.1:{leaf_listen}", tmp / f"js-{code}",
                                  port=port))
        leaves[code] = (Server(conf), f"nats://127.0.0.1:{port}")
    schema = f"ingest_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    hub.start()
    for server, _ in leaves.values():
        server.start()
    docs = {code: documents(code, args.docs) for code in codes}
    total = args.stores * args.docs
    result: dict[str, Any] = {"stores": args.stores, "docs_per_store": args.docs,
                              "docs": total}
    try:
        for code, (_, url) in leaves.items():  # each store's stream, before the centre's
            async def up(url: str = url) -> bool:
                try:
                    nc = await nats.connect(url, connect_timeout=1, allow_reconnect=False)
                except Exception:  # not listening yet
                    return False
                await nc.close()
                return True
            await until(up, 30, f"leaf {code}")
            nc = await nats.connect(url)
            await nc.jetstream(domain=code).add_stream(StreamConfig(
                name=stream_name(code), subjects=[f"chain.{code}.>"], duplicate_window=120.0))
            await nc.close()
        centre_cfg = {"store": {"url": f"{PG}?options=-csearch_path%3D{schema}"},
                      "sites": [{"code": c, "name": c} for c in codes],
                      "pos": {"chain": {"nats": f"nats://127.0.0.1:{hub_port}",
                                        "centre": True, "stores": codes}}}
        async with make_hub(centre_cfg, tmp / "centre", plugins=[kassa_pos]) as centre:
            async def arrived() -> bool:
                async with centre.engine.connect() as c:
                    n = await c.execute(sa.select(sa.func.count()).select_from(doc_t))
                    return int(n.scalar_one()) >= total
            t0 = time.perf_counter()
            await asyncio.gather(*(publish(leaves[c][1], c, docs[c]) for c in codes))
            result["published_s"] = round(time.perf_counter() - t0, 2)
            await until(arrived, 900, "the centre holding every document")
            took = time.perf_counter() - t0
            async with centre.engine.connect() as c:
                dupes = (await c.execute(sa.text(
                    "SELECT count(*) - count(DISTINCT doc_id) FROM pos_chain_doc"))).scalar_one()
        result["ingest_s"] = round(took, 2)
        result["sales_per_s"] = round(total / took, 1)
        result["duplicates"] = int(dupes)
        everything = [d for c in codes for d in docs[c]]
        bare_s = await bare(f"nats://127.0.0.1:{hub_port}", everything)
        result["bare_s"] = round(bare_s, 2)
        result["bare_per_s"] = round(total / bare_s, 1)
        result["ratio_to_bare"] = round((total / took) / (total / bare_s), 3)
    finally:
        for server, _ in leaves.values():
            server.stop()
        hub.stop()
        async with admin.begin() as c:
            await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        await admin.dispose()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--docs", type=int, default=300)
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
