"""Write transactions and the idempotency claim every write goes through.

Writes run in the transaction the caller provides: inside a hub that is ``hub.transaction()``
(on SQLite it shares the hub's single writer, BEGIN IMMEDIATE), so what an operation causes
(webhook rows, outbox messages) commits with it or not at all. The CLI and tests give a
``kassa.store.Store``'s ``write``. PostgreSQL: the ledger locks the rows it changes with
``SELECT ... FOR UPDATE`` in a fixed order.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import anyio
from kassa import codec
from kassa.errors import UserError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError

from kassa_bonus import schema
from kassa_bonus.inline import run_inline
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


class BonusStore:
    def __init__(self, engine: Any, clock: Any,
                 transaction: Callable[[], AbstractAsyncContextManager[Any]]) -> None:
        self.engine = engine
        self.clock = clock
        self.sqlite = engine.dialect.name == "sqlite"
        self._transaction = transaction
        self.observers: list[Observer] = []  # called by ``settle``, inside the transaction
        # SQLite: an operation's statements in one hop to the connection's thread (inline.py)
        self.inline = True

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
                async with self.write() as conn:
                    if self.sqlite and self.inline:
                        done = await run_inline(conn, work)
                        if done is not None:
                            return done[0]
                    return await work(conn)
            except IntegrityError as exc:
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
        if row.kind != kind or row.params_hash != digest:
            raise LedgerError("idempotency_key_reused",
                              f"idempotency key {key!r} was already used for another request")
        return codec.loads(row.result, Outcome)

    async def settle(self, conn: Any, outcome: Outcome) -> Outcome:
        """Store what the operation answered, for replays, and let the observers add their
        side effects to the same transaction."""
        for observe in self.observers:
            await observe(conn, outcome)
        await conn.execute(SETTLE, dict(op=outcome.operation, answer=codec.dumps(outcome)))
        return outcome


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
