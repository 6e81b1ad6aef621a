"""The centre's ingester: the chain stream (sourced from every store's leaf domain) into
PostgreSQL, exactly once by ``doc_id``, in order per till, with each store's lag.

JetStream does the transport: the centre's stream ``CHAIN`` lists each store's stream as a
``source`` with ``external.api = $JS.<store>.API``, so the hub pulls from the store's domain
across the leaf link and resumes by itself when the link returns (no consumer to manage per
store). A durable pull consumer on ``CHAIN`` feeds this ingester, which acks a message only
after its transaction committed (at-least-once); ``ON CONFLICT (doc_id) DO NOTHING`` and the
per-till sequence make a redelivery harmless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from kassa_pos.chain.documents import ChainDoc, in_order

log = logging.getLogger("kassa_pos.chain.ingest")
metadata = sa.MetaData()
_TS = sa.DateTime(timezone=True)

doc_t = sa.Table(
    "pos_chain_doc", metadata,
    sa.Column("doc_id", sa.String(200), primary_key=True),
    sa.Column("store", sa.String(32), nullable=False),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("received_at", _TS, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.UniqueConstraint("store", "till", "seq", name="uq_pos_chain_doc_till_seq"),
)
till_t = sa.Table(  # each till's last applied sequence: the lag per store reads it
    "pos_chain_till", metadata,
    sa.Column("store", sa.String(32), primary_key=True),
    sa.Column("till", sa.String(64), primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("last_at", _TS, nullable=False),  # the last applied document's own time
    sa.Column("seen_at", _TS, nullable=False),  # when the centre applied it
)
parked_t = sa.Table(  # documents that arrived before a gap in their till closed
    "pos_chain_parked", metadata,
    sa.Column("store", sa.String(32), primary_key=True),
    sa.Column("till", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
)
# Sales analysis (chain/analysis.py): one narrow row per sale or return line, written in the
# document's own transaction; returns carry sign -1 and negative qty / amount / discount.
line_t = sa.Table(
    "pos_chain_line", metadata,
    sa.Column("doc_id", sa.String(200), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("store", sa.String(32), nullable=False),
    sa.Column("till", sa.String(64), nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("day", sa.Date, nullable=False),  # the store's local date and hour
    sa.Column("hour", sa.SmallInteger, nullable=False),
    sa.Column("cashier", sa.String(100), nullable=False),
    sa.Column("department", sa.SmallInteger, nullable=False),  # 0: the register's default
    sa.Column("item_code", sa.String(64), nullable=False),
    sa.Column("item_group", sa.String(64), nullable=False),
    sa.Column("qty", sa.Numeric(14, 3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # kopecks after discounts
    sa.Column("discount", sa.BigInteger, nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),  # the discount's rule(s), "" none
    sa.Column("guest", sa.String(100)),
    sa.Column("sign", sa.SmallInteger, nullable=False),
    # the time filter of every report: BRIN stays tiny since lines arrive roughly in time
    sa.Index("ix_pos_chain_line_at", "at", postgresql_using="brin"),
    sa.Index("ix_pos_chain_line_guest", "guest", "at",
             postgresql_where=sa.text("guest IS NOT NULL")),
)
day_t = sa.Table(  # per local day, store and department: what the chain-wide reports read
    "pos_chain_sales_day", metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("store", sa.String(32), primary_key=True),
    sa.Column("department", sa.SmallInteger, primary_key=True),
    sa.Column("lines", sa.BigInteger, nullable=False),
    sa.Column("qty", sa.Numeric(16, 3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("discount", sa.BigInteger, nullable=False),
    sa.Column("returned", sa.BigInteger, nullable=False),  # returns' amount, positive
)
hour_t = sa.Table(  # per local day, store and hour: a document's lines share its hour
    "pos_chain_sales_hour", metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("store", sa.String(32), primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    sa.Column("checks", sa.BigInteger, nullable=False),  # sales (returns not counted)
    sa.Column("amount", sa.BigInteger, nullable=False),
)
item_t = sa.Table(  # per local day and item, chain-wide: the top items
    "pos_chain_sales_item", metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("item_code", sa.String(64), primary_key=True),
    sa.Column("item_group", sa.String(64), nullable=False),
    sa.Column("qty", sa.Numeric(16, 3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
)


stock_t = sa.Table(  # the stores' stock moves (their stock documents'), signed
    "pos_chain_stock_move", metadata,
    sa.Column("doc_id", sa.String(200), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("store", sa.String(32), nullable=False),
    sa.Column("item_code", sa.String(64), nullable=False),
    sa.Column("qty", sa.Numeric(14, 3), nullable=False),
    sa.Index("ix_pos_chain_stock_move_store_item", "store", "item_code"),
)
# returns in any store (chain/xreturns.py): a claim per return and its lines
claim_t = sa.Table(
    "pos_chain_claim", metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # the return's own key
    sa.Column("sale", sa.String(100), nullable=False, index=True),  # the sale's check id
    sa.Column("store", sa.String(32), nullable=False),  # the store giving the goods back
    sa.Column("status", sa.String(16), nullable=False),  # reserved|released|applied|conflict
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)
claim_line_t = sa.Table(
    "pos_chain_claim_line", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),  # 0-based, the sale's line order
    sa.Column("qty", sa.Numeric(14, 3), nullable=False),
)


def _now() -> datetime:
    return datetime.now(UTC)


async def apply(conn: Any, doc: ChainDoc, *, now: datetime | None = None,
                zone: tzinfo | None = None) -> list[str]:
    """One document in the caller's transaction (``conn`` inside ``engine.begin()``); the
    ids applied now (empty: a repeat, or parked behind a gap). ``zone`` is the store's
    (local day and hour), Europe/Moscow when not given."""
    return await apply_many(conn, [doc], now=now, zone=lambda _store: zone)


async def apply_many(conn: Any, docs: Sequence[ChainDoc], *, now: datetime | None = None,
                     zone: Callable[[str], tzinfo | None] = lambda _store: None
                     ) -> list[str]:
    """Documents as they arrived, in the caller's one transaction; the ids applied now, in
    the order applied. Per till: its row locked (``FOR UPDATE`` serialises the till), its
    parked documents read, the arrivals put in order (``in_order``: the contiguous run from
    the last sequence; a document behind a gap is parked), the till moved once. Then the
    new documents in one insert (a repeat inside the dedup window or after it is dropped by
    ``doc_id``) and their sales' and returns' analysis lines (``analysis.project_many``)."""
    from kassa_pos.chain.analysis import project_many

    now = now or _now()
    tills: dict[tuple[str, str], list[ChainDoc]] = {}
    for doc in docs:
        tills.setdefault((doc.store, doc.till), []).append(doc)
    runs: list[ChainDoc] = []
    for (store, till), arrived in tills.items():
        key = (till_t.c.store == store) & (till_t.c.till == till)
        await conn.execute(pg_insert(till_t).values(store=store, till=till, last_seq=0,
                                                    last_at=arrived[0].at, seen_at=now)
                           .on_conflict_do_nothing())
        last = int((await conn.execute(sa.select(till_t.c.last_seq).where(key)
                                       .with_for_update())).scalar_one())
        rows = await conn.execute(sa.select(parked_t.c.data).where(
            (parked_t.c.store == store) & (parked_t.c.till == till)))
        parked = {d.seq: d for d in (ChainDoc.decode(r.data.encode()) for r in rows)}
        waiting, run = dict(parked), list[ChainDoc]()
        for doc in arrived:
            got, waiting = in_order(last + len(run), waiting, doc)
            run += got
        new_parked = [d for seq, d in waiting.items() if seq not in parked]
        for d in new_parked:
            log.info("store %s till %s: document %s waits for %d", store, till, d.doc_id,
                     last + len(run) + 1)
        if new_parked:
            await conn.execute(pg_insert(parked_t).on_conflict_do_nothing(), [
                {"store": store, "till": till, "seq": d.seq, "data": d.encode().decode()}
                for d in new_parked])
        if run:
            await conn.execute(parked_t.delete().where(
                (parked_t.c.store == store) & (parked_t.c.till == till)
                & (parked_t.c.seq <= run[-1].seq)))
            await conn.execute(till_t.update().where(key).values(
                last_seq=run[-1].seq, last_at=run[-1].at, seen_at=now))
        runs += run
    if not runs:
        return []
    res = await conn.execute(_DOCS.returning(doc_t.c.doc_id), [
        {"doc_id": d.doc_id, "store": d.store, "till": d.till, "seq": d.seq, "kind": d.kind,
         "at": d.at, "received_at": now,
         "body": json.dumps(d.body, ensure_ascii=False, default=str)} for d in runs])
    fresh = set(res.scalars().all())
    new = [d for d in runs if d.doc_id in fresh]  # only when new: a redelivery adds nothing
    await project_many(conn, new, zone)
    moves = [{"doc_id": d.doc_id, "line_no": int(m["line_no"]), "store": d.store,
              "item_code": str(m["item_code"])[:64], "qty": Decimal(str(m["qty"]))}
             for d in new if d.kind == "stock" for m in d.body.get("moves") or ()]
    moves += [{"doc_id": d.doc_id, "line_no": n, "store": d.store,
               "item_code": str(g.get("item_code"))[:64], "qty": Decimal(str(g["quantity"]))}
              for d in new if d.kind == "return" for n, g in enumerate(_brought(d.body))]
    if moves:
        await conn.execute(pg_insert(stock_t).on_conflict_do_nothing(), moves)
    if any(d.kind == "return" for d in new):
        from kassa_pos.chain.xreturns import record_returns

        await record_returns(conn, new, now)  # what each sale has given back, any store
    for d in new:
        if d.kind == "ref":
            from kassa_pos.chain.refdata import record_store

            await record_store(conn, d.store, d.body)
    return [d.doc_id for d in new]


_DOCS = pg_insert(doc_t).on_conflict_do_nothing(index_elements=["doc_id"])


def _brought(body: Any) -> list[dict[str, Any]]:
    """A return's goods back on the shelf that no sale line accounts for (without a receipt,
    or accepted offline by QR): they count in the store's stock as moves. A return of sale
    lines (this store's or another's) counts through its analysis lines instead."""
    plan = body.get("plan")
    plan = json.loads(plan) if isinstance(plan, str) else plan or {}
    if plan.get("lines"):
        return []
    return [g for g in plan.get("goods") or () if isinstance(g, dict) and "quantity" in g]


async def lag(engine: Any) -> dict[str, dict[str, Any]]:
    """Per store: the last applied sequence of each till, and the newest document time and
    when the centre applied it (the console's lag column)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(till_t))).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        s = out.setdefault(r.store, {"tills": {}, "last_at": r.last_at, "seen_at": r.seen_at})
        s["tills"][r.till] = int(r.last_seq)
        s["last_at"] = max(s["last_at"], r.last_at)
        s["seen_at"] = max(s["seen_at"], r.seen_at)
    return out


async def ensure_streams(js: Any, stores: list[str], *, stream: str = "CHAIN") -> None:
    """The centre's stream sourcing each store's stream from the store's leaf domain."""
    from nats.js.api import ExternalStream, StreamConfig, StreamSource

    from kassa_pos.chain.config import stream_name

    cfg = StreamConfig(name=stream, duplicate_window=120.0, sources=[
        StreamSource(name=stream_name(s), external=ExternalStream(api=f"$JS.{s}.API"))
        for s in stores])
    try:
        await js.add_stream(cfg)
    except Exception:  # already there: the store list may have grown
        await js.update_stream(cfg)


async def ingest(js: Any, engine: Any, *, stream: str = "CHAIN", durable: str = "chain-ingest",
                 batch: int = 256, idle: float = 1.0) -> int:
    """Fetch what is there now and apply it; returns the number of messages handled."""
    import nats.errors

    sub = await js.pull_subscribe("chain.>", durable=durable, stream=stream)
    handled = 0
    while True:
        try:
            msgs = await sub.fetch(batch, timeout=idle)
        except (TimeoutError, nats.errors.TimeoutError):
            return handled
        for msg in msgs:
            try:
                doc = ChainDoc.decode(msg.data)
            except ValueError as exc:
                log.error("%s on %s: kept aside", exc, msg.subject)
                await msg.term()
                continue
            async with engine.begin() as conn:
                await apply(conn, doc)
            await msg.ack()  # after the commit: a crash in between only redelivers
            handled += 1


async def stock_levels(conn: Any, *, store: str | None = None,
                       items: Sequence[str] | None = None) -> dict[str, dict[str, Decimal]]:
    """Per store and item, the stock the centre computes in PostgreSQL: the stores' stock
    moves minus what their tills sold, net of returns (sales lines are positive, returns'
    negative in ``pos_chain_line``). One grouped query, no rows into Python."""
    def filtered(q: Any, table: sa.Table) -> Any:
        if store is not None:
            q = q.where(table.c.store == store)
        if items is not None:
            q = q.where(table.c.item_code.in_(list(items)))
        return q

    moves = filtered(sa.select(stock_t.c.store, stock_t.c.item_code,
                               stock_t.c.qty.label("qty")), stock_t)
    sold = filtered(sa.select(line_t.c.store, line_t.c.item_code,
                              (-line_t.c.qty).label("qty")), line_t)
    both = sa.union_all(moves, sold).subquery()
    q = (sa.select(both.c.store, both.c.item_code, sa.func.sum(both.c.qty))
         .group_by(both.c.store, both.c.item_code)
         .order_by(both.c.store, both.c.item_code))
    out: dict[str, dict[str, Decimal]] = {}
    for st, code, qty in await conn.execute(q):
        out.setdefault(st, {})[code] = Decimal(qty).quantize(Decimal("0.001"))
    return out
