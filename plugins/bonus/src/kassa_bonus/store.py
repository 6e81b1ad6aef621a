"""Write transactions and the idempotency claim every write goes through.

Writes run in the transaction the caller provides: inside a hub ``hub.write_sync`` (the core's
public fast write: on a SQLite file one hop to the single writer's thread for the whole
operation; on PostgreSQL ``run_sync`` in ``hub.transaction()``) and ``hub.transaction()`` for
the few writes that await something else, so what an operation causes (webhook rows, outbox
messages) commits with it or not at all. The CLI and tests give a ``kassa.store.Store``'s.
PostgreSQL: the ledger locks the rows it changes with ``SELECT ... FOR UPDATE`` in a fixed
order.

An operation is written as a coroutine over ``await conn.execute(...)``; under ``write_sync``
it is driven to its end synchronously on the sync connection (``SyncConnection``), so it must
not really suspend: if it does it is abandoned with an error and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar, cast

import anyio
from kassa import codec
from kassa.errors import UserError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError

from kassa_bonus import schema
from kassa_bonus.outcome import Outcome

T = TypeVar("T")


class LedgerError(UserError):
    """A refused operation; ``code`` is stable and machine-readable (the API returns it)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def new_id() -> str:
    return str(uuid.uuid4())


def params_hash(kind: str, params: dict[str, Any]) -> str:
    raw = json.dumps([kind, params], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


OP = schema.operation
STORED = select(OP.c.kind, OP.c.params_hash, OP.c.result).where(
    OP.c.source == bindparam("source"), OP.c.key == bindparam("key"))
SETTLE = OP.update().where(OP.c.id == bindparam("op")).values(result=bindparam("answer"))
_CLAIMS: dict[str, Any] = {}


def _claim(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (source, key) DO NOTHING RETURNING id, built once per dialect."""
    if dialect not in _CLAIMS:
        _CLAIMS[dialect] = (_insert_for(dialect, OP)
                            .on_conflict_do_nothing(index_elements=["source", "key"])
                            .returning(OP.c.id))
    return _CLAIMS[dialect]


# what must happen with an operation, in its transaction (queue a webhook, an outbox message)
Observer = Callable[[Any, Outcome], Awaitable[None]]


class SyncConnection:
    """What an operation sees under ``write_sync``: ``await conn.execute(...)`` runs at once
    on the synchronous SQLAlchemy connection, without suspending."""

    def __init__(self, sync: Any) -> None:
        self.sync = sync
        self.dialect = sync.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if parameters is None:
            return self.sync.execute(statement)
        return self.sync.execute(statement, parameters)


def drive(work: Awaitable[T]) -> T:
    """Run a coroutine that never suspends to its end, synchronously."""
    coro = cast(Coroutine[Any, Any, T], work)
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a ledger operation suspended; it may only await its connection")


WriteSync = Callable[[Callable[[Any], Any]], Awaitable[Any]]


class BonusStore:
    def __init__(self, engine: Any, clock: Any,
                 transaction: Callable[[], AbstractAsyncContextManager[Any]],
                 write_sync: WriteSync | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.sqlite = engine.dialect.name == "sqlite"
        self._transaction = transaction
        self.observers: list[Observer] = []  # called by ``settle``, inside the transaction
        # the core's one-hop writer (HubAPI.write_sync); None: every statement awaited
        self.write_sync = write_sync

    def write(self) -> AbstractAsyncContextManager[Any]:
        """One write transaction; commits on success, rolls back on any error."""
        return self._transaction()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Any]:
        async with self.engine.connect() as conn:
            yield conn

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``work(conn)`` in a write transaction. A lost race on an idempotency key or a
        lock (PostgreSQL) is retried, so the loser replays the winner's result."""
        for attempt in range(5):
            try:
                if self.write_sync is not None:
                    return await self.write_sync(  # type: ignore[no-any-return]
                        lambda sync: drive(work(SyncConnection(sync))))
                async with self.write() as conn:
                    return await work(conn)
            except IntegrityError as exc:
                if "integer_domain" in str(exc):  # schema.MAX_BALANCE: the database's limit
                    raise LedgerError("out_of_range", "the amount would take a balance out of "
                                      "the ledger's range; nothing was posted") from None
                if "uq_bonus_operation_key" not in str(exc) or attempt == 4:
                    raise
            except OperationalError as exc:  # deadlock / serialization: try again
                if attempt == 4 or not any(s in str(exc).lower() for s in
                                           ("deadlock", "serializ", "locked")):
                    raise
                await anyio.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    async def claim(self, conn: Any, source: str, key: str, kind: str,
                    params: dict[str, Any]) -> Outcome | str:
        """The stored outcome of (source, key), or the id of a freshly claimed operation.

        The same key with another kind or other parameters is refused: a client that reuses a
        key for a different request has a bug, and guessing which one it meant loses money."""
        if not key or len(key) > 255:
            raise LedgerError("bad_idempotency_key", "idempotency key must be 1..255 characters")
        digest = params_hash(kind, params)
        op_id = new_id()
        # one statement on the usual path (a new key); a replay or a clash reads the row
        claimed = (await conn.execute(_claim(conn.dialect.name), dict(
            id=op_id, source=source, key=key, kind=kind, params_hash=digest, result="{}",
            created_at=self.clock.now()))).first()
        if claimed is not None:
            return op_id
        row = (await conn.execute(STORED, dict(source=source, key=key))).one()
        return _stored(row, key, kind, digest)

    async def replay(self, source: str, key: str, kind: str, params: dict[str, Any],
                     legacy: Callable[[], Awaitable[dict[str, Any]]] | None = None
                     ) -> Outcome | None:
        """What (source, key) answered, if it was done, before anything is checked again: a
        replay returns the original result whatever changed since (a balance spent, a rule
        edited). ``None`` for a new key; a key used for another request is refused.
        ``legacy()``: the parameters an older version hashed for the same request, asked for
        only when the stored hash differs (an operation made before the upgrade)."""
        if not key or len(key) > 255:
            raise LedgerError("bad_idempotency_key", "idempotency key must be 1..255 characters")
        async with self.read() as conn:
            row = (await conn.execute(STORED, dict(source=source, key=key))).first()
        if row is None:
            return None
        try:
            return _stored(row, key, kind, params_hash(kind, params))
        except LedgerError:
            if legacy is None or row.kind != kind:
                raise
            return _stored(row, key, kind, params_hash(kind, await legacy()))

    async def settle(self, conn: Any, outcome: Outcome) -> Outcome:
        """Store what the operation answered, for replays, and let the observers add their
        side effects to the same transaction."""
        for observe in self.observers:
            await observe(conn, outcome)
        await conn.execute(SETTLE, dict(op=outcome.operation, answer=codec.dumps(outcome)))
        return outcome


def _stored(row: Any, key: str, kind: str, digest: str) -> Outcome:
    if row.kind != kind or row.params_hash != digest:
        raise LedgerError("idempotency_key_reused",
                          f"idempotency key {key!r} was already used for another request")
    return codec.loads(row.result, Outcome)


async def insert_new(conn: Any, table: Any, unique: list[str], rows: list[dict[str, Any]]
                     ) -> None:
    """Insert ``rows``, skipping those whose ``unique`` columns exist already (one statement:
    INSERT ... ON CONFLICT DO NOTHING)."""
    await conn.execute(_insert_for(conn.dialect.name, table)
                       .on_conflict_do_nothing(index_elements=unique), rows)


def _insert_for(dialect: str, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if dialect == "postgresql" else sqlite).insert(table)
