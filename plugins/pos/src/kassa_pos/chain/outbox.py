"""The store's chain outbox: the pos tables' finished documents (fiscalised sales, done
returns, closed shifts, ``pos_*`` audit events, reference packages applied) numbered per till
into ``pos_chain_out``,
then published from the store's own JetStream under a cursor, like the core's relay.

Numbering happens once, in one write transaction, so a document keeps its ``seq`` across
crashes and republishing; publishing is at-least-once (the cursor is saved after the acks)
and the centre drops repeats by ``doc_id``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from kassa_pos.chain.documents import REF_TILL, ChainDoc, build
from kassa_pos.chain.ingest import metadata
from kassa_pos.chain.refdata import applied_t
from kassa_pos.engine import pay_tables, store_tables
from kassa_pos.stock import tables as stock_tables

CURSOR = "pos-chain"

out_t = sa.Table(
    "pos_chain_out", metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", sa.String(200), nullable=False, unique=True),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # the encoded ChainDoc
)

# typed: SQLite hands an untyped column's timestamp back as text
_events = sa.table("events", sa.column("id", sa.String), sa.column("kind", sa.String),
                   sa.column("occurred_at", sa.DateTime(timezone=True)),
                   sa.column("payload", sa.Text), sa.column("seq", sa.BigInteger),
                   sa.column("site", sa.String))


def _unnumbered(doc_id: Any) -> Any:
    """Rows whose document id (the SQL form of ``documents._id``) is not in the outbox yet:
    an anti-join on the outbox's unique ``doc_id`` index, so a round reads only new rows."""
    return ~sa.exists().where(out_t.c.doc_id == doc_id)


def _queries(conn: Any, site: str) -> list[tuple[str, Any]]:
    """Per kind, the select of ``site``'s finished documents not numbered yet."""
    s, r, sh, ref = pay_tables.sale, pay_tables.return_, pay_tables.shift, applied_t
    text = sa.String()
    shift_id = (sa.literal("shift:", text) + sh.c.site + ":" + sh.c.till + ":"
                + sa.cast(sh.c.n, text))
    ref_id = (sa.literal("ref:", text) + ref.c.kind + ":" + sa.cast(ref.c.version, text)
              + ":" + sa.literal(site, text))
    # the log holds several audit events per sale: past the watermark only (see _AUDIT)
    mark = _audit_mark(conn, site) if conn.dialect.name == "sqlite" else 0
    return [
        ("sale", sa.select(s).where(
            (s.c.site == site) & _unnumbered(sa.literal("sale:", text) + s.c.check_id))),
        ("return", sa.select(r).where(
            (r.c.site == site) & (r.c.status == "done")
            & _unnumbered(sa.literal("return:", text) + r.c.key))),
        ("shift", sa.select(sh).where(
            (sh.c.site == site) & sh.c.closed_at.is_not(None) & _unnumbered(shift_id))),
        # the store's own: the store node is one site, its code the store's (service.py)
        ("ref", sa.select(ref, sa.literal(site, text).label("store"),
                          sa.literal(REF_TILL, text).label("till"))
         .where(_unnumbered(ref_id))),
        # stock documents (a goods receipt, a transfer, a write-off, a count) with their
        # signed moves: the centre's stock levels per store
        ("stock", sa.select(stock_tables.doc, sa.literal(REF_TILL, text).label("till"))
         .where((stock_tables.doc.c.site == site)
                & _unnumbered(sa.literal("stock:", text) + stock_tables.doc.c.id))),
        ("audit", sa.select(_events.c.seq, _events.c.id, _events.c.kind,
                            _events.c.occurred_at, _events.c.payload)
         .where((_events.c.seq > mark) & (_events.c.site == site)
                & _events.c.kind.like("pos\\_%", escape="\\")
                & _unnumbered(sa.literal("audit:", text) + _events.c.id))
         .order_by(_events.c.seq)),
    ]


def _sale_parts(conn: Any, sales: list[dict[str, Any]]) -> None:
    """Adds to each sale row what the centre's analysis needs beyond the receipt: its lines
    (with the catalog's item group), its tenders, the guest and the cashier who sold it
    (from the paid attempt's draft)."""
    if not sales:
        return
    ids = [s["check_id"] for s in sales]
    sl, td, at, item = (pay_tables.sale_line, pay_tables.tender, pay_tables.attempt,
                        store_tables.item)
    lines: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    tenders: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for chunk in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        part = ids[chunk:chunk + 500]
        for r in conn.execute(
                sa.select(sl, item.c.item_group).select_from(
                    sl.outerjoin(item, item.c.code == sl.c.item_code))
                .where(sl.c.check_id.in_(part)).order_by(sl.c.check_id, sl.c.line_no)):
            lines[r.check_id].append({
                "line_no": r.line_no, "item_code": r.item_code, "name": r.name,
                "quantity": str(r.quantity), "total": r.total, "bonus": r.bonus,
                "group": r.item_group or "", "line": json.loads(r.line)})
        for r in conn.execute(sa.select(td.c.check_id, td.c.kind, td.c.amount)
                              .where(td.c.check_id.in_(part)).order_by(td.c.check_id, td.c.n)):
            tenders[r.check_id].append({"kind": r.kind, "amount": r.amount})
    keys = {s["key"]: s for s in sales}
    key_list = list(keys)
    for chunk in range(0, len(key_list), 500):
        for r in conn.execute(sa.select(at.c.key, at.c.plan).where(
                at.c.key.in_(key_list[chunk:chunk + 500]))):
            draft = json.loads(r.plan).get("draft") or {}
            keys[r.key]["guest"] = draft.get("guest")
            keys[r.key]["cashier"] = draft.get("cashier")
    for s in sales:
        s["lines"], s["tenders"] = lines[s["check_id"]], tenders[s["check_id"]]


def _stock_moves(conn: Any, docs: list[dict[str, Any]]) -> None:
    """Adds to each stock document its signed moves (a count's: the discrepancy)."""
    m = stock_tables.move
    moves: dict[str, list[dict[str, Any]]] = {d["id"]: [] for d in docs}
    ids = list(moves)
    for chunk in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        for r in conn.execute(sa.select(m.c.doc_id, m.c.line_no, m.c.item_code, m.c.qty)
                              .where(m.c.doc_id.in_(ids[chunk:chunk + 500]))
                              .order_by(m.c.doc_id, m.c.line_no)):
            moves[r.doc_id].append({"line_no": r.line_no, "item_code": r.item_code,
                                    "qty": str(r.qty)})
    for d in docs:
        d["moves"] = moves[d["id"]]


def _finished(conn: Any, site: str) -> list[tuple[str, dict[str, Any]]]:
    """The finished documents of ``site`` not numbered yet."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for kind, query in _queries(conn, site):
        found = conn.execute(query).all()
        if kind == "sale":
            sales = [dict(x._mapping) for x in found]
            _sale_parts(conn, sales)
            rows += [(kind, x) for x in sales]
            continue
        if kind == "stock":
            docs = [dict(x._mapping) for x in found]
            _stock_moves(conn, docs)
            rows += [(kind, x) for x in docs]
            continue
        if kind != "audit":
            rows += [(kind, dict(x._mapping)) for x in found]
            continue
        rows += [(kind, {k: v for k, v in x._mapping.items() if k != "seq"}) for x in found]
        if found and conn.dialect.name == "sqlite":
            _save_audit_mark(conn, site, int(found[-1].seq))
    return rows


def anything_new(conn: Any, site: str) -> bool:
    """Whether ``number`` would add a document; read-only (a read connection), so a round
    with nothing new never takes the store's write lock from the tills."""
    return any(conn.execute(q.limit(1)).first() is not None for _, q in _queries(conn, site))


# The event log only grows and, on SQLite (the store node's store), one writer at a time
# commits, so its ``seq`` is the commit order: every audit event at or below the last one
# numbered has been seen. The mark lives in the core's ``cursors`` table and is written in
# the numbering transaction. Elsewhere (PostgreSQL sequences commit out of order) the
# anti-join alone decides.
_AUDIT = "pos-chain-audit"
_cursors = sa.table("cursors", sa.column("name", sa.String),
                    sa.column("position", sa.BigInteger),
                    sa.column("updated_at", sa.DateTime(timezone=True)))


def _audit_mark(conn: Any, site: str) -> int:
    return int(conn.execute(sa.select(_cursors.c.position).where(
        _cursors.c.name == f"{_AUDIT}:{site}")).scalar() or 0)


def _save_audit_mark(conn: Any, site: str, seq: int) -> None:
    name, now = f"{_AUDIT}:{site}", datetime.now(UTC)
    if not conn.execute(_cursors.update().where(_cursors.c.name == name)
                        .values(position=seq, updated_at=now)).rowcount:
        conn.execute(_cursors.insert().values(name=name, position=seq, updated_at=now))


def _last_seq(conn: Any, till: str) -> int:
    """The till's last number: its newest outbox row (read backwards from the end, where a
    till that sells is found at once; the outbox has no index on ``till``)."""
    top = conn.execute(sa.select(out_t.c.seq).where(out_t.c.till == till)
                       .order_by(out_t.c.n.desc()).limit(1)).scalar()
    return int(top or 0)


def number(conn: Any, store: str, site: str) -> int:
    """Adds the documents not numbered yet (synchronous ``conn`` in a write transaction);
    returns how many. Within a till, in the order of their own times. Reads only the new
    rows (``_unnumbered``), so a round stays cheap however many documents the store has."""
    fresh = [build(kind, row, store=store, seq=1) for kind, row in _finished(conn, site)]
    fresh.sort(key=lambda d: (d.at, d.doc_id))
    last: dict[str, int] = {}
    for d in fresh:
        if d.till not in last:
            last[d.till] = _last_seq(conn, d.till)
        seq = last[d.till] + 1
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
