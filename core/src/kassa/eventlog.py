"""The event log writer: group commit of events and the outbox rows they decide.

``submit(event)`` returns once the event (and every message the router decided for it) is
committed in one transaction: ``True`` if new, ``False`` if (site, source_key) was known.
Batching many events per transaction is what makes SQLite keep up with a busy chain.
"""

from __future__ import annotations

import asyncio
import logging
import operator
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from kassa import codec
from kassa.model import Event
from kassa.store import Store, dialect_insert  # noqa: F401 (dialect_insert: its old home, for a release)
from kassa.store.engine import _Held, sqlite_time
from kassa.store.tables import EventRow, OutboxRow

log = logging.getLogger("kassa.eventlog")

# (event) -> outbox row dicts to insert with it (the router's decision)
Decide = Callable[[Event], Sequence[dict[str, Any]]]
# (new (seq, event) pairs, the (channel, chat) of the outbox rows committed with them)
Persisted = Callable[[list[tuple[int, Event]], set[tuple[str, str]]], Awaitable[None]]

MAX_BATCH = 500


def event_row(event: Event, received_at: datetime) -> dict[str, Any]:
    return {
        "id": event.id, "site": event.site, "source_key": event.source_key, "kind": event.kind,
        "severity": str(event.severity), "employee": event.employee,
        "occurred_at": event.occurred_at.astimezone(UTC), "received_at": received_at,
        "payload": codec.dumps(event),
    }


def row_event(payload: str) -> Event:
    return codec.loads(payload, Event)


class EventLog:
    def __init__(self, store: Store, *, decide: Decide, persisted: Persisted,
                 now: Callable[[], datetime]) -> None:
        self.store = store
        self.decide = decide
        self.persisted = persisted
        self.now = now
        self.queue: asyncio.Queue[tuple[Event, asyncio.Future[bool]]] = asyncio.Queue()
        self.duplicates = 0
        self.written = 0
        self._unsettled = 0
        # (since, what): the store refused the last write; health reports it until one works
        self.write_failure: tuple[datetime, str] | None = None

    async def submit(self, event: Event) -> bool:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._unsettled += 1
        fut.add_done_callback(self._settled)
        await self.queue.put((event, fut))
        # shielded: a caller that gives up (a source stopping) leaves the event to be
        # written, and idle() to count it until it is
        return await asyncio.shield(fut)

    def _settled(self, _fut: asyncio.Future[bool]) -> None:
        self._unsettled -= 1

    def idle(self) -> bool:
        """Every submitted event is committed (or failed): none queued, prepared or being
        written (shutdown waits for this, not just for an empty queue)."""
        return self._unsettled == 0

    async def run(self) -> None:
        """Two stages: prepare a batch (rows and routing decisions: CPU) while the previous
        one commits (SQLite works in its own thread), so both cores stay busy."""
        # unbounded: the committer takes every batch prepared meanwhile into its next
        # transaction, so an event waits for at most the commit under way and its own
        ready: asyncio.Queue[tuple[list[tuple[Event, asyncio.Future[bool]]], Prepared]] = \
            asyncio.Queue()
        committer = asyncio.create_task(self._commit_stage(ready))
        try:
            while True:
                first = await self.queue.get()
                batch = [first]
                while len(batch) < MAX_BATCH and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                try:
                    prepared = self.prepare([e for e, _ in batch])
                except Exception as exc:  # a formatter bug: fail the callers, keep running
                    log.exception("preparing events failed")
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    continue
                await ready.put((batch, prepared))
        finally:
            committer.cancel()

    async def _commit_stage(self, ready: asyncio.Queue[Any]) -> None:
        while True:
            batch, prepared = await ready.get()
            while not ready.empty():
                more, also = ready.get_nowait()
                batch, prepared = batch + more, prepared.merged(also)
            try:
                results = await self.commit(prepared)
            except Exception as exc:  # the store is down: fail the callers, they retry
                log.exception("event log write failed")
                since = self.write_failure[0] if self.write_failure else self.now()
                self.write_failure = (since, f"{type(exc).__name__}: {exc}"[:300])
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.write_failure = None
            new: list[tuple[int, Event]] = []
            for (event, fut), seq in zip(batch, results, strict=True):
                if seq is not None:
                    new.append((seq, event))
                else:
                    self.duplicates += 1
                if not fut.done():
                    fut.set_result(seq is not None)
            self.written += len(new)
            if new:
                await self.persisted(new, {(r["channel"], r["chat_id"]) for _, e in new
                                           for r in prepared.decisions.get(e.id, ())})

    def prepare(self, events: list[Event]) -> Prepared:
        """Rows for the batch and the router's decision for each event (no I/O)."""
        now = self.now()
        owner: dict[tuple[str, str], str] = {}
        rows: list[dict[str, Any]] = []
        decisions: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            k = (e.site, e.source_key)
            if k in owner:
                continue
            owner[k] = e.id
            rows.append(event_row(e, now))
            decisions[e.id] = list(self.decide(e))
        return Prepared(events=events, rows=rows, decisions=decisions, owner=owner)

    async def commit(self, p: Prepared) -> list[int | None]:
        """Insert events (skipping known ones) and the outbox rows of the new ones."""
        if self.store.raw_writes:
            inserted = await self.store.run_write(lambda raw: _sqlite_insert(raw, p))
        else:
            async with self.store.write() as conn:
                inserted = await conn.run_sync(insert_in, p)
        return p.seqs(inserted)

    async def write(self, events: list[Event]) -> list[int | None]:
        """Prepare and commit in one go (tools and tests)."""
        return await self.commit(self.prepare(events))


# PostgreSQL: every transaction that inserts events takes this lock first (held to its
# commit), so events commit in seq order. The log's readers (the relay, the on_event
# cursor) go by seq and would skip a lower seq committed after a higher one.
EVENTS_LOCK = 0x6B617373  # "kass"


def insert_in(conn: Connection, p: Prepared) -> dict[str, int]:
    """Insert the prepared events (skipping known ones) and the outbox rows of the new ones
    inside ``conn``'s transaction (a synchronous SQLAlchemy connection: ``write_sync``'s,
    or ``run_sync`` of an async one); the new ids with their seq."""
    held = conn.connection.driver_connection
    if isinstance(held, _Held):  # write_sync on a SQLite file: the event log's own fast path
        return _sqlite_insert(held.conn, p)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENTS_LOCK})
    # executemany ("insertmanyvalues") with RETURNING: only new rows come back
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(EventRow).on_conflict_do_nothing(
        index_elements=["site", "source_key"]).returning(col(EventRow.id), col(EventRow.seq))
    inserted = {r.id: r.seq for r in conn.execute(stmt, p.rows).all()}
    outbox = [row for eid in inserted for row in p.decisions.get(eid, ())]
    if outbox:
        conn.execute(insert(OutboxRow).on_conflict_do_nothing(
            index_elements=["key"]), outbox)
    return inserted


_EVENT_COLS = ("id", "site", "source_key", "kind", "severity", "employee", "occurred_at",
               "received_at", "payload")
_OUTBOX_COLS = ("key", "channel", "chat_id", "thread_id", "event_id", "kind", "severity",
                "status", "attempts", "next_at", "created_at", "payload")


_EVENT_GET = operator.itemgetter(*_EVENT_COLS)
_OUTBOX_GET = operator.itemgetter(*_OUTBOX_COLS)
_EVENT_TIMES = tuple(i for i, c in enumerate(_EVENT_COLS) if c.endswith("_at"))
_OUTBOX_TIMES = tuple(i for i, c in enumerate(_OUTBOX_COLS) if c.endswith("_at"))


def _sqlite_params(values: tuple[Any, ...], times: tuple[int, ...]) -> tuple[Any, ...]:
    out = list(values)
    for i in times:
        if out[i] is not None:
            out[i] = sqlite_time(out[i])
    return tuple(out)


def _sqlite_insert(raw: sqlite3.Connection, p: Prepared) -> dict[str, int]:
    """SQLite fast path, one thread hop (``Store.run_write``): multi-row INSERTs, then one
    look-up of which ids are new. Few statements on purpose: sqlite3 lets go of the GIL at
    every step, and getting it back while the event loop runs is what a busy hub waits on
    (executemany steps once per row)."""
    ids = [r["id"] for r in p.rows]
    # an event delivered again (same id: a bus redelivery) is already there: not new
    known = set(_by_ids(raw, "SELECT id FROM events WHERE id IN ({})", ids))
    _insert_values(raw, "events", _EVENT_COLS,
                   [_sqlite_params(_EVENT_GET(r), _EVENT_TIMES) for r in p.rows
                    if r["id"] not in known])
    inserted: dict[str, int] = {
        eid: seq for eid, seq in _by_ids(raw, "SELECT id, seq FROM events WHERE id IN ({})",
                                         [i for i in ids if i not in known])}
    outbox = [row for eid in inserted for row in p.decisions.get(eid, ())]
    _insert_values(raw, "outbox", _OUTBOX_COLS,
                   [_sqlite_params(_OUTBOX_GET(r), _OUTBOX_TIMES) for r in outbox])
    return inserted


def _by_ids(raw: sqlite3.Connection, sql: str, ids: list[str]) -> list[Any]:
    """Rows of ``sql`` (one ``IN ({})``) for all ``ids``, under SQLite's parameter limit."""
    out: list[Any] = []
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        rows = raw.execute(sql.format(", ".join("?" * len(chunk))), chunk).fetchall()
        out.extend(r[0] if len(r) == 1 else r for r in rows)
    return out


def _insert_values(raw: sqlite3.Connection, table: str, cols: tuple[str, ...],
                   rows: list[tuple[Any, ...]]) -> None:
    """INSERT OR IGNORE of many rows, a few statements of many VALUES each (999 bound
    parameters at most: the limit of SQLite builds before 3.32)."""
    per = 999 // len(cols)
    one = f"({', '.join('?' * len(cols))})"
    for i in range(0, len(rows), per):
        chunk = rows[i:i + per]
        raw.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES "
                    + ", ".join([one] * len(chunk)), [v for r in chunk for v in r])


@attrs.define
class Prepared:
    events: list[Event]
    rows: list[dict[str, Any]]
    decisions: dict[str, list[dict[str, Any]]]
    owner: dict[tuple[str, str], str]

    def seqs(self, inserted: dict[str, int]) -> list[int | None]:
        """Each event's seq if it was new, else None (known, or a repeat in the batch)."""
        return [inserted.get(e.id) if self.owner[(e.site, e.source_key)] == e.id else None
                for e in self.events]

    def merged(self, later: Prepared) -> Prepared:
        """Both batches as one; an event key both carry stays the earlier batch's."""
        owner = {**later.owner, **self.owner}
        rows = self.rows + [r for r in later.rows
                            if owner[(r["site"], r["source_key"])] == r["id"]]
        return Prepared(events=self.events + later.events, rows=rows,
                        decisions={**later.decisions, **self.decisions}, owner=owner)


async def query(store: Store, *, site: str | None = None, kinds: Sequence[str] | None = None,
                since: datetime | None = None, until: datetime | None = None,
                employee: str | None = None, text: str | None = None,
                limit: int | None = None, before: int | None = None,
                after: int | None = None, newest_first: bool = False
                ) -> list[tuple[int, Event]]:
    """Events from the log as (seq, event)."""
    stmt = select(col(EventRow.seq), col(EventRow.payload))
    if site:
        stmt = stmt.where(col(EventRow.site) == site)
    if kinds:
        stmt = stmt.where(col(EventRow.kind).in_(list(kinds)))
    if since:
        stmt = stmt.where(col(EventRow.occurred_at) >= since.astimezone(UTC))
    if until:
        stmt = stmt.where(col(EventRow.occurred_at) < until.astimezone(UTC))
    if employee:
        stmt = stmt.where(col(EventRow.employee) == employee)
    if text:
        stmt = stmt.where(col(EventRow.payload).contains(text))
    if before:
        stmt = stmt.where(col(EventRow.seq) < before)
    if after is not None:
        stmt = stmt.where(col(EventRow.seq) > after)
    order = col(EventRow.seq).desc() if newest_first else col(EventRow.seq).asc()
    stmt = stmt.order_by(order)
    if limit:
        stmt = stmt.limit(limit)
    async with store.read() as conn:
        rows = (await conn.execute(stmt)).all()
    return [(r.seq, row_event(r.payload)) for r in rows]


async def severity_counts(store: Store, *, site: str, since: datetime) -> dict[str, int]:
    """How many events of each severity ``site`` had since ``since`` (counted in SQL)."""
    async with store.read() as conn:
        rows = (await conn.execute(
            select(col(EventRow.severity), func.count()).where(
                col(EventRow.site) == site, col(EventRow.occurred_at) >= since.astimezone(UTC)
            ).group_by(col(EventRow.severity)))).all()
    return {str(sev): int(n) for sev, n in rows}


async def find(store: Store, event_id: str) -> tuple[int, str] | None:
    """(seq, stored JSON) of one event by id, or None."""
    async with store.read() as conn:
        row = (await conn.execute(select(col(EventRow.seq), col(EventRow.payload)).where(
            col(EventRow.id) == event_id))).first()
    return (int(row.seq), str(row.payload)) if row else None


async def received_since(store: Store, since: datetime) -> list[datetime]:
    """When each event received since ``since`` arrived (timezone-aware), for rates."""
    async with store.read() as conn:
        rows = (await conn.execute(select(col(EventRow.received_at)).where(
            col(EventRow.received_at) >= since))).scalars().all()
    return [r if r.tzinfo else r.replace(tzinfo=UTC) for r in rows]
