"""``Store.write_sync`` (``HubAPI.write_sync``): one write transaction run synchronously, a
single thread hop on a SQLite file, ``run_sync`` elsewhere; commit on return, rollback on error."""

from __future__ import annotations

import os
import threading

import pytest
from kassa.store import Store
from sqlalchemy import text

pytestmark = pytest.mark.anyio
PG_URL = os.environ.get("KASSA_TEST_PG_URL", "")
PUT = text("INSERT INTO cursors (name, position, updated_at) VALUES (:n, :p, :at)")


def _urls() -> list[object]:
    return ["file", "memory", pytest.param("pg", marks=[pytest.mark.integration, pytest.mark.skipif(
        not PG_URL, reason="KASSA_TEST_PG_URL not set")])]


@pytest.fixture(params=_urls())
async def store(request, tmp_path):
    url = {"file": f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", "memory": "sqlite+aiosqlite://",
           "pg": PG_URL}[request.param]
    st = Store(url)
    await st.prepare()
    async with st.write() as conn:
        await conn.execute(text("DELETE FROM cursors WHERE name LIKE 'ws-%'"))
    yield st
    await st.close()


async def names(store: Store) -> list[str]:
    async with store.read() as conn:
        return [r[0] for r in (await conn.execute(text(
            "SELECT name FROM cursors WHERE name LIKE 'ws-%' ORDER BY name"))).all()]


async def test_write_sync_commits_what_fn_wrote_and_returns_its_result(store, fake_clock):
    def fn(conn):
        conn.execute(PUT, [dict(n="ws-a", p=1, at=fake_clock.now()),
                           dict(n="ws-b", p=2, at=fake_clock.now())])
        return conn.execute(text("SELECT count(*) FROM cursors WHERE name LIKE 'ws-%'")).scalar()

    assert await store.write_sync(fn) == 2
    assert await names(store) == ["ws-a", "ws-b"]


async def test_write_sync_rolls_back_everything_when_fn_raises(store, fake_clock):
    def fails(conn):
        conn.execute(PUT, dict(n="ws-a", p=1, at=fake_clock.now()))
        raise ValueError("half way")

    with pytest.raises(ValueError, match="half way"):
        await store.write_sync(fails)
    assert await names(store) == []
    await store.write_sync(lambda c: c.execute(PUT, dict(n="ws-c", p=3, at=fake_clock.now())))
    assert await names(store) == ["ws-c"]  # the writer keeps working


async def test_on_a_sqlite_file_the_transaction_is_one_hop_to_the_writer_thread(tmp_path):
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    await store.prepare()
    seen = []

    def fn(conn):
        seen.append(threading.get_ident())
        # the same plain sqlite3 connection run_write uses, inside its BEGIN IMMEDIATE
        return conn.connection.dbapi_connection.in_transaction

    assert await store.write_sync(fn) is True
    assert await store.write_sync(fn) is True
    assert seen[0] != threading.get_ident() and seen[0] == seen[1]
    await store.close()


async def test_run_write_says_it_needs_a_sqlite_file():
    store = Store("sqlite+aiosqlite://")
    with pytest.raises(RuntimeError, match="run_write needs a SQLite file; use write_sync"):
        await store.run_write(lambda raw: None)
    await store.close()


async def test_a_lazy_write_commits_like_any_other(store, fake_clock):
    """``durable=False`` only skips the flush to disk: the rows are committed and read back,
    and on PostgreSQL the setting is the transaction's alone."""
    def fn(conn):
        conn.execute(PUT, dict(n="ws-lazy", p=1, at=fake_clock.now()))
        if store.dialect == "postgresql":
            return conn.execute(text("SHOW synchronous_commit")).scalar()
        return None

    assert await store.write_sync(fn, durable=False) in (None, "off")
    assert await names(store) == ["ws-lazy"]
    if store.dialect == "postgresql":
        assert await store.write_sync(
            lambda c: c.execute(text("SHOW synchronous_commit")).scalar()) == "on"
