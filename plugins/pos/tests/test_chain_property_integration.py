"""Property (real PostgreSQL): whatever the interleaving of several stores' sales and returns
as the centre receives them — tills' documents mixed across stores, a store's documents
held back by a link cut and arriving late, redeliveries after the centre restarted with a
batch unacknowledged (the batch's transaction rolled back), documents out of order within a
till — the centre ends with every document once, each till at its last sequence, nothing
parked, and each store's net sales equal to the store's own total (``nox -s integration``).

The documents go through ``ingest.apply_many`` in batch transactions as ``CentreService``
applies them (a failure rolls the whole batch back and nothing of it is acknowledged), or
one by one through ``ingest.apply`` inside the batch's transaction."""

from __future__ import annotations

import os
import random
import uuid
from collections import Counter
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import (
    apply,
    apply_many,
    doc_t,
    line_t,
    metadata,
    parked_t,
    till_t,
)

from .test_chain_analysis import refund, sale

pytestmark = [pytest.mark.integration]
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def rnd_single(batch: list[ChainDoc]) -> bool:
    """Half the batches document by document (``apply``), half whole (``apply_many``, as
    ``CentreService`` applies a fetched batch), fixed by the batch's content."""
    return len(batch) == 1 or sum(d.seq for d in batch) % 2 == 0


class Crash(Exception):
    """The centre dying inside a batch: the transaction rolls back, nothing is acked."""


@st.composite
def histories(draw: Any) -> tuple[list[ChainDoc], list[tuple[str, Any]]]:
    """Each till's documents (sales, some returned), then the centre's delivery schedule:
    ("batch", [docs]) applied in one transaction, or ("crash", [docs]) rolled back."""
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    stores = ["S01", "S02", "S03"][:draw(st.integers(2, 3))]
    tills = [f"{s}-T{n}" for s in stores for n in range(1, draw(st.integers(1, 2)) + 1)]
    seqs: Counter[str] = Counter()
    docs: list[ChainDoc] = []
    sold: list[ChainDoc] = []
    for n in range(draw(st.integers(4, 24))):
        till = rnd.choice(tills)
        if sold and rnd.random() < 0.25:  # a return of a line of an earlier sale, once
            s = sold.pop(rnd.randrange(len(sold)))
            seqs[s.till] += 1
            docs.append(refund(s, seqs[s.till], 0))
            continue
        seqs[till] += 1
        docs.append(sale(n, rnd, till.split("-")[0], till, seqs[till]))
        sold.append(docs[-1])
    # what each store sent, per till in order; cut stores send theirs late, all at once
    queues = {t: [d for d in docs if d.till == t] for t in tills}
    cut = set(draw(st.lists(st.sampled_from(stores), unique=True, max_size=len(stores) - 1)))
    stream: list[ChainDoc] = []
    live = [t for t in tills if t.split("-")[0] not in cut]
    late = [t for t in tills if t.split("-")[0] in cut]
    for group in (live, late):
        while any(queues[t] for t in group):
            t = rnd.choice([t for t in group if queues[t]])
            stream.append(queues[t].pop(0))
    # a redelivery swaps neighbours now and then: a till's documents out of order
    for _ in range(draw(st.integers(0, 4))):
        if len(stream) > 1:
            i = rnd.randrange(len(stream) - 1)
            stream[i], stream[i + 1] = stream[i + 1], stream[i]
    schedule: list[tuple[str, Any]] = []
    i = 0
    while i < len(stream):
        size = draw(st.integers(1, 6))
        batch = stream[i:i + size]
        if draw(st.booleans()) and draw(st.booleans()):  # a crash, then the same again
            schedule.append(("crash", batch))
        schedule.append(("batch", batch))
        if draw(st.integers(0, 5)) == 0:  # acked, but redelivered anyway (a replay)
            schedule.append(("batch", batch))
        i += size
    return docs, schedule


async def _play(docs: list[ChainDoc], schedule: list[tuple[str, Any]]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"p_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = create_async_engine(f"{PG}?options=-csearch_path%3D{schema}")
    try:
        async with engine.begin() as c:
            await c.run_sync(metadata.create_all)
        for what, batch in schedule:
            try:
                async with engine.begin() as c:
                    if rnd_single(batch):  # one document at a time, or the batch at once
                        for d in batch:
                            await apply(c, d)
                    else:
                        await apply_many(c, batch)
                    if what == "crash":
                        raise Crash
            except Crash:
                pass
        async with engine.connect() as c:
            applied = Counter(r.doc_id for r in await c.execute(sa.select(doc_t.c.doc_id)))
            parked = (await c.execute(sa.select(sa.func.count()).select_from(parked_t))
                      ).scalar_one()
            last = {r.till: int(r.last_seq) for r in await c.execute(sa.select(till_t))}
            net = {r.store: int(r.amount) for r in await c.execute(
                sa.select(line_t.c.store, sa.func.sum(line_t.c.amount).label("amount"))
                .group_by(line_t.c.store))}
    finally:
        await engine.dispose()
        async with admin.begin() as c:
            await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        await admin.dispose()
    assert applied == Counter(d.doc_id for d in docs)  # every document, once
    assert parked == 0
    assert last == {t: max(d.seq for d in docs if d.till == t) for t in {d.till for d in docs}}
    expected: dict[str, int] = {}
    sales = {d.body["check_id"]: d for d in docs if d.kind == "sale"}
    for d in docs:
        if d.kind == "sale":
            amount = d.body["total"]
        else:
            amount = -sum(money for _, _, money, _ in d.body["plan"]["lines"])
            assert d.body["check_id"] in sales
        expected[d.store] = expected.get(d.store, 0) + amount
    assert net == {s: v for s, v in expected.items() if v or s in net}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories())
def test_any_interleaving_ends_with_the_stores_totals(history: Any) -> None:
    docs, schedule = history
    note(f"docs={[(d.doc_id, d.till, d.seq) for d in docs]}")
    note(f"schedule={[(w, [d.doc_id for d in b]) for w, b in schedule]}")
    anyio.run(_play, docs, schedule)
