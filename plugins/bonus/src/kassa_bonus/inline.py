"""SQLite: run one operation's statements in a single hop to the connection's thread.

With aiosqlite every statement is several round trips between the event loop and the
connection's thread (cursor, execute, fetch, close), each a queue put, a thread wake-up and a
loop wake-up. A hold or a capture is 5-11 statements, all inside the hub's single writer, and
under load every wake-up also waits for the busy loop: the writer's critical section grew to
~12 ms a pair although SQLite itself needs well under one.

Here the operation's coroutine is driven to completion *inside* aiosqlite's thread, over a
synchronous SQLAlchemy connection on the same sqlite3 connection, in the transaction the store
already began (BEGIN IMMEDIATE): one hop for the whole operation. Transaction control stays
with the store (commit and rollback are no-ops here), so an error still rolls the whole
transaction back. The coroutine must not really suspend (it may only ``await`` the connection
given to it and plain coroutines): if it does, it is abandoned with an error, the transaction
rolls back, and nothing is written.

This leans on two private aiosqlite attributes (``Connection._execute``, ``._conn``); when
they are missing (another driver or version) ``run_inline`` answers ``None`` and the caller
uses the ordinary async path.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

T = TypeVar("T")
_local = threading.local()
_engine: Any = None


class _Current:
    """A DBAPI connection facade over the sqlite3 connection of the thread running an inline
    block. The store owns the transaction: commit, rollback and close do nothing here."""

    def cursor(self, *args: Any, **kw: Any) -> Any:
        return _local.conn.cursor(*args, **kw)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(_local.conn, name)


def _sync_engine() -> Any:
    global _engine
    if _engine is None:
        _engine = create_engine("sqlite://", creator=_Current, poolclass=StaticPool,
                                pool_reset_on_return=None)
    return _engine


class InlineConnection:
    """What the operation sees: ``await conn.execute(...)`` runs at once, without suspending."""

    def __init__(self, sync: Any) -> None:
        self.sync = sync
        self.dialect = sync.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if parameters is None:
            return self.sync.execute(statement)
        return self.sync.execute(statement, parameters)


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, synchronously."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("an inline ledger operation suspended; it may only await its connection")


async def run_inline(conn: Any, work: Callable[[Any], Awaitable[T]]) -> tuple[T] | None:
    """``(work(inline_conn),)`` run in the thread of ``conn``'s aiosqlite connection, or
    ``None`` if ``conn`` is not an aiosqlite connection this module knows how to reach."""
    raw = await conn.get_raw_connection()
    driver = getattr(raw, "driver_connection", None)
    execute = getattr(driver, "_execute", None)
    if execute is None or not hasattr(driver, "_conn"):
        return None

    def block() -> T:
        _local.conn = driver._conn
        try:
            with _sync_engine().connect() as sync:
                return drive(work(InlineConnection(sync)))  # type: ignore[arg-type]
        finally:
            _local.conn = None

    return (await execute(block),)
