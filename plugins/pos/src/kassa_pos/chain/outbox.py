"""The store's chain outbox: the pos tables' finished documents (fiscalised sales, done
returns, closed shifts, ``pos_*`` audit events) numbered per till into ``pos_chain_out``,
then published from the store's own JetStream under a cursor, like the core's relay.

Numbering happens once, in one write transaction, so a document keeps its ``seq`` across
crashes and republishing; publishing is at-least-once (the cursor is saved after the acks)
and the centre drops repeats by ``doc_id``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from kassa_pos.chain.documents import ChainDoc, build
from kassa_pos.chain.ingest import metadata
from kassa_pos.engine import pay_tables

CURSOR = "pos-chain"

out_t = sa.Table(
    "pos_chain_out", metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", sa.String(200), nullable=False, unique=True),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # the encoded ChainDoc
)

_events = sa.table("events", sa.column("id"), sa.column("kind"), sa.column("occurred_at"),
                   sa.column("payload"), sa.column("seq"), sa.column("site"))


def _finished(conn: Any, site: str) -> list[tuple[str, dict[str, Any]]]:
    s, r, sh = pay_tables.sale, pay_tables.return_, pay_tables.shift
    rows: list[tuple[str, dict[str, Any]]] = []
    rows += [("sale", dict(x._mapping)) for x in conn.execute(
        sa.select(s).where(s.c.site == site))]
    rows += [("return", dict(x._mapping)) for x in conn.execute(
        sa.select(r).where((r.c.site == site) & (r.c.status == "done")))]
    rows += [("shift", dict(x._mapping)) for x in conn.execute(
        sa.select(sh).where((sh.c.site == site) & sh.c.closed_at.is_not(None)))]
    rows += [("audit", dict(x._mapping)) for x in conn.execute(
        sa.select(_events.c.id, _events.c.kind, _events.c.occurred_at, _events.c.payload)
        .where((_events.c.site == site) & _events.c.kind.like("pos\\_%", escape="\\"))
        .order_by(_events.c.seq))]
    return rows


def number(conn: Any, store: str, site: str) -> int:
    """Adds the documents not numbered yet (synchronous ``conn`` in a write transaction);
    returns how many. Within a till, in the order of their own times."""
    known = {r.doc_id for r in conn.execute(sa.select(out_t.c.doc_id))}
    last = {r.till: int(r.top) for r in conn.execute(
        sa.select(out_t.c.till, sa.func.max(out_t.c.seq).label("top")).group_by(out_t.c.till))}
    fresh: list[ChainDoc] = []
    for kind, row in _finished(conn, site):
        doc = build(kind, row, store=store, seq=1)
        if doc.doc_id not in known:
            fresh.append(doc)
    fresh.sort(key=lambda d: (d.at, d.doc_id))
    for d in fresh:
        seq = last.get(d.till, 0) + 1
        last[d.till] = seq
        numbered = ChainDoc(doc_id=d.doc_id, store=d.store, till=d.till, seq=seq,
                            kind=d.kind, at=d.at, body=d.body)
        conn.execute(out_t.insert().values(doc_id=d.doc_id, till=d.till, seq=seq,
                                           data=numbered.encode().decode()))
    return len(fresh)


async def publish(js: Any, store: Any, *, now: Callable[[], datetime],
                  batch: int = 256) -> int:
    """Publishes everything after the cursor into the store's stream; returns the count."""
    from kassa.store.cursor import Cursor

    cursor = Cursor(store, CURSOR, now=now)
    pos = await cursor.get() or 0
    sent = 0
    while True:
        async with store.read() as conn:
            rows = (await conn.execute(sa.select(out_t.c.n, out_t.c.data).where(
                out_t.c.n > pos).order_by(out_t.c.n).limit(batch))).all()
        if not rows:
            return sent
        for r in rows:
            doc = ChainDoc.decode(r.data.encode())
            await js.publish(doc.subject, r.data.encode(), headers=doc.headers, timeout=5)
            sent += 1
            pos = int(r.n)
        await cursor.save(pos)
