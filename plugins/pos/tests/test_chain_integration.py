"""The chain backbone end to end: a store's leaf nats-server (its own JetStream domain), a
central nats-server with a leafnodes listener, the centre's stream sourcing the store's, and
the ingester into real PostgreSQL (``nox -s integration``)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import pytest
import sqlalchemy as sa
from kassa_pos.chain.config import stream_name
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import doc_t, ensure_streams, ingest, lag, metadata, parked_t
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.anyio, pytest.mark.integration,
              pytest.mark.skipif(shutil.which("nats-server") is None, reason="no nats-server")]
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    eng = create_async_engine(f"{PG}?options=-csearch_path%3D{schema}")
    async with eng.begin() as c:
        await c.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()
    async with admin.begin() as c:
        await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    await admin.dispose()


async def eventually(probe, *, within: float):
    """``probe()``'s first non-None value (kassa.testing's returns none)."""
    for _ in range(int(within * 10)):
        if (value := await probe()) is not None:
            return value
        await anyio.sleep(0.1)
    raise AssertionError(f"nothing within {within} s")


def doc(n: int, till: str = "S01-T1") -> ChainDoc:
    return ChainDoc(doc_id=f"sale:{till}:{n}", store="S01", till=till, seq=n, kind="sale",
                    at=AT.replace(minute=n), body={"total": 100 * n})


async def _connect(url: str):
    import nats

    async def ready():
        try:
            return await nats.connect(url, connect_timeout=1, allow_reconnect=False)
        except Exception:
            return None

    return await eventually(ready, within=15)


async def test_store_documents_reach_postgres_once_in_order_across_a_link_cut(servers, engine):
    from nats.js.api import StreamConfig

    hub, _leaf, hub_url, store_url = servers
    store_nc = await _connect(store_url)
    sjs = store_nc.jetstream(domain="S01")
    await sjs.add_stream(StreamConfig(name=stream_name("S01"), subjects=["chain.S01.>"],
                                      duplicate_window=120.0))

    async def publish(d: ChainDoc) -> bool:
        ack = await sjs.publish(d.subject, d.encode(), headers=d.headers)
        return not ack.duplicate

    assert await publish(doc(1)) and await publish(doc(2))
    assert not await publish(doc(2))  # the store's own stream drops the repeat by Nats-Msg-Id
    assert await publish(doc(4))  # 3 is missing: 4 must wait at the centre

    hub_nc = await _connect(hub_url)
    hjs = hub_nc.jetstream()
    await ensure_streams(hjs, ["S01"])

    async def stored() -> list[int]:
        async with engine.connect() as c:
            return [int(r.seq) for r in await c.execute(sa.select(doc_t.c.seq)
                                                         .order_by(doc_t.c.seq))]

    async def upto(n: int):
        await ingest(hjs, engine, idle=0.3)
        return (await stored()) if len(await stored()) >= n else None

    assert await eventually(lambda: upto(2), within=20) == [1, 2]
    async with engine.connect() as c:
        assert [int(r.seq) for r in await c.execute(sa.select(parked_t.c.seq))] == [4]

    # the same document again after the window (a replay from the store's outbox)
    async with engine.begin() as c:
        from kassa_pos.chain.ingest import apply

        assert await apply(c, doc(2)) == []

    # the link down: the centre is gone, the store keeps publishing into its own domain
    await hub_nc.close()
    hub.stop()
    assert await publish(doc(3)) and await publish(doc(5)) and await publish(doc(1, "S01-T2"))
    hub.start()
    hub_nc = await _connect(hub_url)
    hjs = hub_nc.jetstream()
    assert await eventually(lambda: upto(6), within=30) == [1, 1, 2, 3, 4, 5]
    await ingest(hjs, engine, idle=0.5)  # nothing more, nothing twice
    assert await stored() == [1, 1, 2, 3, 4, 5]
    status = await lag(engine)
    assert status["S01"]["tills"] == {"S01-T1": 5, "S01-T2": 1}
    assert status["S01"]["last_at"] == AT.replace(minute=5)
    await hub_nc.close()
    await store_nc.close()


async def test_sales_made_while_the_leaf_is_down_arrive_once_from_the_pos_tables(
        servers, engine, tmp_path):
    import kassa_pos
    from kassa.testing import make_hub
    from kassa_pos.chain import outbox
    from kassa_pos.engine import pay_tables
    from nats.js.api import StreamConfig

    _hub, leaf, hub_url, store_url = servers

    def sale(n: int) -> dict[str, object]:
        return {"check_id": f"c{n}", "key": f"k{n}", "site": "s1", "till": "S01-T1",
                "total": 100 * n, "change": 0, "issued_at": AT.replace(minute=n),
                "document": "{}", "receipt": "{}"}

    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path / "store",
                        plugins=[kassa_pos]) as shop:
        async def sell(*ns: int) -> None:
            async with shop.store.write() as c:
                await c.execute(pay_tables.sale.insert(), [sale(n) for n in ns])
            await shop.store.write_sync(lambda c: outbox.number(c, "S01", "s1"))

        store_nc = await _connect(store_url)
        sjs = store_nc.jetstream(domain="S01")
        await sjs.add_stream(StreamConfig(name=stream_name("S01"), subjects=["chain.S01.>"],
                                          duplicate_window=120.0))
        await sell(1, 2)
        assert await outbox.publish(sjs, shop.store, now=shop.clock.now) == 2
        await store_nc.close()
        leaf.stop()  # the store's NATS is gone: sales stay numbered in SQLite
        await sell(3, 4)
        leaf.start()
        store_nc = await _connect(store_url)
        sjs = store_nc.jetstream(domain="S01")
        assert await outbox.publish(sjs, shop.store, now=shop.clock.now) == 2
        await store_nc.close()

    hub_nc = await _connect(hub_url)
    hjs = hub_nc.jetstream()
    await ensure_streams(hjs, ["S01"])

    async def all_four():
        await ingest(hjs, engine, idle=0.3)
        async with engine.connect() as c:
            ids = [r.doc_id for r in await c.execute(sa.select(doc_t.c.doc_id)
                                                      .order_by(doc_t.c.seq))]
        return ids if len(ids) >= 4 else None

    assert await eventually(all_four, within=30) == ["sale:c1", "sale:c2", "sale:c3",
                                                     "sale:c4"]
    assert (await lag(engine))["S01"]["tills"] == {"S01-T1": 4}
    await hub_nc.close()
