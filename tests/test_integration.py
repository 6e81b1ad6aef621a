"""The store on real PostgreSQL and the bus on real NATS JetStream (``nox -s integration``)."""

from __future__ import annotations

import os
import uuid

import pytest
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, make_hub

from tests.factories import CONFIG, ev

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NATS = os.environ.get("KASSA_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture
async def pg_url():
    """A fresh schema per test, so runs never see each other's rows."""
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:10]}"
    eng = create_async_engine(PG)
    async with eng.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    await eng.dispose()
    yield f"{PG}?options=-csearch_path%3D{schema}"
    eng = create_async_engine(PG)
    async with eng.begin() as c:
        await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    await eng.dispose()


async def test_postgres_event_log_outbox_and_dedup(tmp_path, pg_url):
    ch = CaptureChannel()
    cfg = {**CONFIG, "store": {"url": pg_url}}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        assert hub.store.dialect == "postgresql"
        assert await hub.emit(ev(key="a")) is True
        assert await hub.emit(ev(key="a")) is False
        assert await hub.emit(ev(key="b", kind="check_annulled")) is True
        assert await hub.drain(timeout=20)
        kinds = [e.kind for e in await hub.events(site="s1")]
        assert kinds == ["check_deleted", "check_annulled"]
    assert len(ch.sent) == 4  # 2 events x (site chat + owners' chat)
    # a restart on the same database: migrations are at head, nothing is sent twice
    again = CaptureChannel()
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[again])]) as hub:
        assert await hub.emit(ev(key="a")) is False
        await hub.drain(timeout=20)
    assert again.sent == []


async def test_postgres_outbox_digest_dead_letter_and_replay(tmp_path, pg_url):
    """The outbox's group-committed marks (sent, dead, a digest's fold) on PostgreSQL."""
    from tests.test_hub import check_dead_digest_replays

    await check_dead_digest_replays(tmp_path, store={"url": pg_url})


async def test_postgres_same_event_twice_is_new_once(tmp_path, pg_url):
    from tests.test_hub import check_same_event_twice

    await check_same_event_twice(tmp_path, store={"url": pg_url})


async def test_postgres_emit_in_transactions_commits_in_seq_order(tmp_path, pg_url):
    """Events of a transaction commit with it; a slow transaction holding seq n keeps a
    later event (the log writer's) from committing seq n+1 before it (the advisory lock),
    so a reader by seq never skips one; a rolled-back one leaves nothing."""
    import anyio
    from sqlalchemy import text

    cfg = {**CONFIG, "store": {"url": pg_url}}
    async with make_hub(cfg, tmp_path) as hub:
        q = hub.listen()
        order: list[str] = []
        async with anyio.create_task_group() as tg:
            async def slow() -> None:
                async with hub.transaction() as conn:
                    await hub.emit(ev(key="slow"), conn=conn)
                    order.append("slow emitted")
                    await anyio.sleep(0.5)  # the other emit waits for this commit
                    await conn.execute(text("SELECT 1"))
                order.append("slow committed")

            tg.start_soon(slow)
            while not order:  # noqa: ASYNC110 (the task above fills it)
                await anyio.sleep(0.01)
            assert await hub.emit(ev(key="fast")) is True
            order.append("fast committed")
        assert order == ["slow emitted", "slow committed", "fast committed"]
        with pytest.raises(RuntimeError):
            async with hub.transaction() as conn:
                await hub.emit(ev(key="gone"), conn=conn)
                raise RuntimeError("rolled back")
        await hub.write_sync(lambda conn: hub.emit(ev(key="sync"), conn=conn))
        got = [q.get_nowait() for _ in range(q.qsize())]
        assert [e.source_key for _, e in got] == ["slow", "fast", "sync"]
        assert [s for s, _ in got] == sorted(s for s, _ in got)
        assert [e.source_key for e in await hub.events()] == ["slow", "fast", "sync"]


async def test_nats_bus_dedups_and_persists(tmp_path):
    ch = CaptureChannel()
    stream = f"KT{uuid.uuid4().hex[:8]}"
    subject = f"kassa.test.{stream.lower()}"
    cfg = {**CONFIG, "bus": {"backend": "nats", "url": NATS, "stream": stream,
                             "subject": subject}}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        assert await hub.emit(ev(key="n1")) is True
        assert await hub.emit(ev(key="n1")) is False  # JetStream's Nats-Msg-Id dedup
        assert await hub.emit(ev(key="n2")) is True
        async def both_logged() -> bool:
            return len(await hub.events()) == 2

        await eventually(both_logged, hub=hub)
        assert [e.source_key for e in await hub.events()] == ["n1", "n2"]
        assert await hub.drain(timeout=20)
    import nats

    nc = await nats.connect(NATS)
    await nc.jetstream().delete_stream(stream)
    await nc.close()
    assert len(ch.sent) == 4


async def test_nats_bus_takes_an_event_written_in_a_transaction(tmp_path):
    """emit(conn=) skips the stream (the transaction put it in the log); a later emit of the
    same key through the stream is a duplicate in the log and sends nothing again."""
    ch = CaptureChannel()
    stream = f"KT{uuid.uuid4().hex[:8]}"
    cfg = {**CONFIG, "bus": {"backend": "nats", "url": NATS, "stream": stream,
                             "subject": f"kassa.test.{stream.lower()}"}}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await hub.write_sync(lambda conn: hub.emit(ev(key="t1"), conn=conn))
        assert [e.source_key for e in await hub.events()] == ["t1"]
        await hub.emit(ev(key="t1"))  # JetStream has not seen it: the log has
        await hub.emit(ev(key="t2"))

        async def both_logged() -> bool:
            return len(await hub.events()) == 2

        await eventually(both_logged, hub=hub)
        assert await hub.drain(timeout=20)
        assert hub.log.duplicates == 1
    import nats

    nc = await nats.connect(NATS)
    await nc.jetstream().delete_stream(stream)
    await nc.close()
    assert len(ch.sent) == 4  # t1 and t2, each to two chats: t1 once
