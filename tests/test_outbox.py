"""The outbox's group-committed marks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kassa.marks import MARKS_PER_WRITE, Marks
from kassa.store import Store

pytestmark = pytest.mark.anyio


async def test_marks_never_split_one_write_across_transactions(tmp_path):
    """A digest's marks (the fold, the merged rows, the sent mark) share one future: if they
    were flushed in two transactions, the worker could see its merged rows still pending
    after the first and send them again."""
    store = Store(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    marks = Marks(store)
    loop = asyncio.get_running_loop()
    digest: list[tuple[str, dict[str, Any]]] = [("A", {}), ("M", {}), ("S", {})]
    marks._queue = [(digest, loop.create_future()) for _ in range(25)]
    marks._queue.insert(3, ([("S", {})] * (MARKS_PER_WRITE + 5), loop.create_future()))
    taken = []
    while marks._queue:
        batch = marks._take()
        size = sum(len(ops) for ops, _ in batch)
        assert batch and (size <= MARKS_PER_WRITE or len(batch) == 1)
        taken.extend(batch)
    assert len(taken) == 26  # every write, each whole
    assert [len(ops) for ops, _ in taken].count(3) == 25
    await store.close()


async def test_marks_commit_together_and_wake_every_writer(tmp_path):
    """Concurrent writers' marks land in few transactions and each writer returns after its
    own mark is committed."""
    from datetime import UTC, datetime

    from kassa.marks import SENT
    from kassa.model import ChatRef, Message
    from kassa.outbox import outbox_row
    from kassa.store.tables import OutboxRow
    from sqlalchemy import insert, select
    from sqlmodel import col

    store = Store(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    await store.prepare()
    now = datetime.now(UTC)
    rows = [outbox_row(Message(chat=ChatRef("t", str(i)), text="x"), key=f"k{i}", now=now)
            for i in range(50)]
    async with store.write() as conn:
        await conn.execute(insert(OutboxRow), rows)
        ids = [r.id for r in (await conn.execute(select(col(OutboxRow.id)))).all()]
    marks = Marks(store)
    await asyncio.gather(*(marks.write(SENT, {"b_id": i, "b_at": now, "b_remote": f"r{i}",
                                                "b_attempts": 1}) for i in ids))
    assert marks.flushes <= 50 // MARKS_PER_WRITE + 1
    async with store.read() as conn:
        got = (await conn.execute(select(col(OutboxRow.status), col(OutboxRow.remote_id)))).all()
    assert sorted(r.remote_id for r in got) == sorted(f"r{i}" for i in ids)
    assert {r.status for r in got} == {"sent"}
    await store.close()
