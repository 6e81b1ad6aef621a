"""Operations run through the core's public fast write (``write_sync``): on a SQLite file the
path is really taken (the writer's thread), it gives the same ledger as the ordinary async
transaction, and an operation that would suspend is refused with nothing written."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from kassa_bonus import schema
from kassa_bonus.audit import audit
from kassa_bonus.guests import GuestBook
from kassa_bonus.ledger import Ledger
from kassa_bonus.store import BonusStore
from sqlalchemy import func, select

from plugins.bonus.tests.conftest import bonus_store, make_store

pytestmark = pytest.mark.anyio


async def _ops(ledger: Ledger, guests: GuestBook) -> list[Any]:
    g = await guests.register("t", "g1", name="Anna")
    acc = await guests.account_of(g.guest, "bonus")
    out = [await ledger.earn("t", "e1", acc, 1000), await ledger.spend("t", "s1", acc, 300)]
    h = await ledger.hold("t", "h1", acc, 200)
    assert h.hold is not None
    out += [h, await ledger.capture("t", "c1", h.hold, 150),
            await ledger.refund("t", "r1", h.hold, 50), await ledger.earn("t", "e1", acc, 1000)]
    async with ledger.store.read() as conn:
        assert await audit(conn) == []
        row = (await conn.execute(select(schema.account).where(schema.account.c.id == acc))).one()
    return [(o.kind, o.status, o.amount, o.balance) for o in out] + [(row.balance, row.held)]


async def test_write_sync_and_async_paths_give_the_same_ledger(tmp_path: Any, clock: Any
                                                               ) -> None:
    results = []
    for fast in (True, False):
        db = await make_store(f"sqlite+aiosqlite:///{tmp_path / f'{fast}.db'}")
        store = BonusStore(db.engine, clock, db.write, db.write_sync if fast else None)
        results.append(await _ops(await Ledger.open(store), GuestBook(store)))
        await db.close()
    assert results[0] == results[1]
    assert results[0][-1] == (1000 - 300 - 150 + 50, 0)


async def test_an_operation_runs_in_the_writer_thread(sqlite_db: Any, clock: Any) -> None:
    store = bonus_store(sqlite_db, clock)
    seen: list[int] = []

    async def work(conn: Any) -> int:
        seen.append(threading.get_ident())
        n: int = (await conn.execute(select(func.count()).select_from(schema.operation))
                  ).scalar_one()
        return n

    assert await store.run(work) == 0
    assert seen and seen[0] != threading.get_ident()


async def test_an_operation_that_suspends_is_refused_and_writes_nothing(
        sqlite_db: Any, clock: Any) -> None:
    store = bonus_store(sqlite_db, clock)
    ledger = await Ledger.open(store)

    async def work(conn: Any) -> None:
        await store.claim(conn, "t", "k1", "earn", {})
        await asyncio.sleep(0)  # a real suspension: not allowed inside the writer's hop

    with pytest.raises(RuntimeError, match="suspended"):
        await store.run(work)
    async with store.read() as conn:
        n = (await conn.execute(select(func.count()).select_from(schema.operation))).scalar()
    assert n == 0
    g = await GuestBook(store).register("t", "g1", name="Anna")  # the store still works
    assert g.guest
    assert ledger.system
