"""The bonus tables come from the plugin's alembic branch: a fresh database gets exactly the
tables ``schema.py`` describes, and a database made by the version before migrations (tables
from ``create_all``, frozen in ``fixtures/``) upgrades in place with its data intact."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from kassa.errors import ConfigError
from kassa.store import Store
from kassa_bonus import schema
from kassa_bonus.audit import audit
from kassa_bonus.guests import GuestBook
from kassa_bonus.ledger import Ledger
from kassa_bonus.store import BonusStore
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from plugins.bonus.tests.conftest import MIGRATIONS, FakeClock

pytestmark = pytest.mark.anyio
PG_URL = os.environ.get("KASSA_TEST_PG_URL", "")
FIXTURES = Path(__file__).parent / "fixtures"


def _backends() -> list[Any]:
    return ["sqlite", pytest.param("pg", marks=[pytest.mark.integration, pytest.mark.skipif(
        not PG_URL, reason="KASSA_TEST_PG_URL not set")])]


@pytest.fixture(params=_backends())
async def url(request: Any, tmp_path: Path) -> Any:
    """An empty database of its own (PostgreSQL: created and dropped around the test)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kassa.db'}"
        return
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"kassa_bonus_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.dispose()


def _bonus_tables(name: Any, type_: str, *_: Any) -> bool:
    return type_ != "table" or str(name).startswith("bonus_")


async def test_a_fresh_database_has_exactly_the_tables_schema_py_describes(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Store(url, migrations=MIGRATIONS)
    await db.prepare() if db.sqlite else await db.upgrade()
    async with db.read() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(
            c, opts={"include_object": lambda o, n, t, r, c2: _bonus_tables(n, t)}),
            schema.metadata))
        assert diff == []
        def has(c: Connection, table: str) -> bool:
            return c.dialect.has_table(c, table)

        missing = [t for t in schema.metadata.tables if not await conn.run_sync(has, t)]
        assert missing == []
    assert {b.name: b.current for b in await db.status()}["bonus"] == "bonus_0002"
    await db.close()


async def _old_database(url: str) -> None:
    """The core's tables (its migrations), then the bonus tables exactly as the version before
    migrations made them (its DDL, frozen in fixtures/)."""
    core = Store(url)  # no plugin migrations: what the old hub ran
    await core.upgrade()
    await core.close()
    if url.startswith("sqlite"):
        raw = sqlite3.connect(url.split("///", 1)[1])
        raw.executescript((FIXTURES / "bonus_schema_v0.sqlite.sql").read_text())
        raw.close()
    else:
        import psycopg

        ddl = (FIXTURES / "bonus_schema_v0.postgresql.sql").read_text()
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"),
                             autocommit=True) as pg:
            pg.execute(ddl)  # no parameters: one script


async def _fill(db: Store, clock: FakeClock) -> dict[str, Any]:
    """Guests and postings written by the ledger's own code, on the old tables."""
    store = BonusStore(db.engine, clock, db.write)
    ledger, book = await Ledger.open(store), GuestBook(store)
    anna = await book.register("t", "g1", name="Anna", phone="+79001234567")
    boris = await book.register("t", "g2", name="Boris")
    a = await book.account_of(anna.guest, "bonus")
    b = await book.account_of(boris.guest, "bonus")
    await ledger.earn("t", "e1", a, 1000)
    await ledger.earn("t", "e2", b, 300)
    await ledger.spend("t", "s1", a, 250)
    h = await ledger.hold("t", "h1", b, 100)
    assert h.hold is not None
    await ledger.capture("t", "c1", h.hold, 60)
    A = schema.account
    async with db.write() as conn:  # what a still older version left in a system row
        await conn.execute(A.update().where(A.c.code == "issued").values(balance=-1300))
    async with db.read() as conn:
        assert await audit(conn) == ["system account issued: row balance -1300 != 0"]
    return {"a": a, "b": b, "balances": await _balances(db)}


async def _balances(db: Store) -> dict[str, tuple[int, int]]:
    A = schema.account
    async with db.read() as conn:
        return {r.id: (r.balance, r.held) for r in await conn.execute(
            select(A.c.id, A.c.balance, A.c.held).where(A.c.kind != "system"))}


async def test_a_database_made_before_migrations_upgrades_with_its_data(url: str) -> None:
    clock = FakeClock()
    await _old_database(url)
    old = Store(url)
    before = await _fill(old, clock)
    await old.close()

    db = Store(url, migrations=MIGRATIONS)
    status = {b.name: (b.current, b.head) for b in await db.status()}
    assert status["bonus"] == (None, "bonus_0002")  # tables there, no revision yet
    if db.sqlite:
        await db.prepare()  # a start of the new version upgrades it
    else:
        with pytest.raises(ConfigError, match="'bonus' tables are at revision none, this "
                                              "Kassa needs bonus_0002: run `kassa db upgrade`"):
            await db.prepare()
        await db.upgrade()  # `kassa db upgrade`
        await db.prepare()
    assert not any(b.behind for b in await db.status())

    assert await _balances(db) == before["balances"]
    async with db.read() as conn:
        assert await audit(conn) == []  # the old start-up upgrade was applied once
        guests = (await conn.execute(select(func.count()).select_from(schema.guest))).scalar()
        postings = (await conn.execute(select(func.count()).select_from(schema.posting))
                    ).scalar()
    assert (guests, postings) == (2, 4)

    store = BonusStore(db.engine, clock, db.write, db.write_sync)
    ledger = await Ledger.open(store)
    replay = await ledger.earn("t", "e1", before["a"], 1000)  # answered as the first time
    assert (replay.balance, await _balances(db)) == (1000, before["balances"])
    assert (await ledger.earn("t", "e3", before["a"], 50)).balance == 1000 - 250 + 50
    with pytest.raises(DBAPIError, match="append-only"):  # the triggers are still in force
        async with db.write() as conn:
            await conn.execute(text("DELETE FROM bonus_entry"))
    async with db.read() as conn:
        assert await audit(conn) == []
    await db.close()


async def test_a_balance_never_leaves_the_integer_domain(url: str) -> None:
    """bonus_0002: the database itself refuses a balance beyond +-MAX_BALANCE, and on SQLite
    the REAL an overflowing ``balance + x`` turns into (what once made a card unreadable)."""
    db = Store(url, migrations=MIGRATIONS)
    await db.prepare()
    clock = FakeClock()
    store = BonusStore(db.engine, clock, db.write, db.write_sync)
    ledger, book = await Ledger.open(store), GuestBook(store)
    anna = await book.register("t", "g1", name="Anna")
    acc = await book.account_of(anna.guest, "bonus")
    await ledger.earn("t", "e1", acc, 1000)
    A = schema.account
    for value in (A.c.balance + 9 * 10**18, A.c.balance + schema.MAX_BALANCE):
        with pytest.raises(DBAPIError, match="integer_domain"):
            async with db.write() as conn:
                await conn.execute(A.update().where(A.c.id == acc).values(balance=value))
    if url.startswith("sqlite"):  # SQLite would store the REAL: the trigger refuses it
        with pytest.raises(DBAPIError, match="integer_domain"):
            async with db.write() as conn:
                await conn.execute(A.update().where(A.c.id == acc).values(
                    balance=A.c.balance + 0.5))
    from kassa_bonus.store import LedgerError

    with pytest.raises(LedgerError, match="over the ledger's limit"):
        await ledger.earn("t", "e2", acc, 10**16)  # the ledger's own check comes first
    assert (await _balances(db))[acc] == (1000, 0)
    await db.close()
