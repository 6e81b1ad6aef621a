"""The engine (SQLite by default, PostgreSQL by URL), migrations, and the write lock."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from kassa import extras
from kassa.store import migrate

log = logging.getLogger("kassa.store")
T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs; use the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


@functools.lru_cache(maxsize=4096)
def sqlite_time(v: datetime) -> str:
    """A time as SQLAlchemy's SQLite DateTime stores it (UTC here), for ``run_write`` blocks
    that bind times themselves: queries through SQLAlchemy then compare alike."""
    return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""


# FULL: a commit returns only after the WAL is fsynced, so what the hub acknowledges (a push
# answered 200, a payment) survives a power loss or a disk turning read-only, not only a
# process kill (NORMAL's promise). Group commit amortises the fsync; bench/core_bench.py
# measures the cost. KASSA_SQLITE_SYNCHRONOUS=normal is there for that comparison.
SYNCHRONOUS = os.environ.get("KASSA_SQLITE_SYNCHRONOUS", "FULL").upper()


def _pragmas(dbapi_conn: Any, _rec: Any = None) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA synchronous={'NORMAL' if SYNCHRONOUS == 'NORMAL' else 'FULL'}")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def private_file(path: Path) -> None:
    """Create ``path`` (if absent) readable by its owner only, in a folder only the owner may
    enter: the store holds guests' phones and chat ids. SQLite gives its -wal and -shm files
    the database file's permissions."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    elif folder.stat().st_mode & 0o077 and folder.stat().st_uid == os.getuid():
        log.warning("the data folder %s is open to other users (mode %o); `chmod 700` it",
                    folder, folder.stat().st_mode & 0o777)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        # a database an older version created 0644 is closed to others from now on
        if f.exists() and f.stat().st_mode & 0o077 and f.stat().st_uid == os.getuid():
            f.chmod(0o600)


def make_engine(url: str) -> AsyncEngine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path and path != ":memory:":
            private_file(Path(path))
        engine = create_async_engine(url, connect_args={"timeout": 30})
        sa_event.listen(engine.sync_engine, "connect", _pragmas)

        return engine
    if url.startswith("postgresql+psycopg"):
        extras.require("postgres", "store.url")
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


async def _restore_full(conn: AsyncConnection) -> None:
    """``PRAGMA synchronous=FULL`` again after a lazy write; a connection that cannot take it
    (a failed transaction on a full disk) is dropped rather than pooled as NORMAL."""
    try:
        await conn.exec_driver_sql("PRAGMA synchronous=FULL")
    except Exception:
        with contextlib.suppress(Exception):
            await conn.invalidate()


class _Held:
    """``run_write``'s sqlite3 connection as SQLAlchemy's DBAPI connection in ``write_sync``:
    the store owns the transaction, so commit, rollback and close do nothing here."""

    def __init__(self, conn: sqlite3.Connection | None) -> None:
        assert conn is not None
        self.conn = conn

    def cursor(self) -> sqlite3.Cursor:
        return self.conn.cursor()

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


class Store:
    """Owns the engine. Writes go through ``write()``: on SQLite one writer at a time."""

    def __init__(self, url: str, migrations: Mapping[str, str | Path] | None = None) -> None:
        self.url = normalise_url(url)
        # the plugins' alembic versions folders (register_migrations), beside the core's
        self.migrations = migrate.check_locations(migrations or {})
        self.engine = make_engine(self.url)
        self.sqlite = self.url.startswith("sqlite")
        self._write_lock = anyio.Lock()
        self._raw: sqlite3.Connection | None = None  # run_write's own connection
        self._raw_thread = anyio.CapacityLimiter(1)
        self._sync_engine: Engine | None = None  # write_sync's SQLAlchemy view of _raw
        # a second connection sees the same data only in a file database
        self.raw_writes = self.sqlite and _sqlite_path(self.url) not in ("", ":memory:")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def upgrade(self, revision: str = "heads") -> None:
        """Bring the core's and every plugin's branch to its head (``revision``: alembic's)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(lambda c: migrate.upgrade(c, self.migrations, revision))

    async def status(self) -> list[migrate.Branch]:
        """Each branch (core first, then the plugins) with its current and head revision."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(lambda c: migrate.branches(c, self.migrations))

    async def prepare(self) -> None:
        """Make the schema current before use: SQLite and an empty database are migrated
        here; a PostgreSQL schema with any branch behind asks for `kassa db upgrade` (a
        deliberate step at chain scale, where several nodes share the database)."""
        from kassa.errors import ConfigError

        if not self.sqlite:
            status = await self.status()
            if any(b.current is not None for b in status):
                for b in status:
                    if b.behind:
                        raise ConfigError(
                            f"the database's {b.name!r} tables are at revision"
                            f" {b.current or 'none'}, this Kassa needs {b.head}:"
                            " run `kassa db upgrade`", path="store.url")
                return
        await self.upgrade()

    @asynccontextmanager
    async def write(self, *, durable: bool = True) -> AsyncIterator[AsyncConnection]:
        """A write transaction. SQLite: serialised here and BEGIN IMMEDIATE, so no writer
        ever fails with 'database is locked' half way through.

        ``durable=False``: the commit survives a process kill but may be lost with the power
        (SQLite: this commit is not fsynced, WAL ``synchronous=NORMAL``; PostgreSQL: ``SET
        LOCAL synchronous_commit = off``). The next durable commit makes it durable too (the
        WAL is written in order). For marks that are safe to lose, such as the journal's
        outcome of a call that its ``pending`` row already guards.

        The body runs shielded from cancellation (keep it to database work): a statement
        cut off half way makes the driver drop the connection, which on SQLite can leave the
        write lock held and, with aiosqlite, a close that never completes. Cancellation takes
        effect right after the block."""
        lock = self._write_lock if self.sqlite else contextlib.nullcontext()
        async with lock:
            with anyio.CancelScope(shield=True):
                async with self._connection() as conn:
                    lazy = not durable and self.sqlite and SYNCHRONOUS != "NORMAL"
                    if lazy:
                        await conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                    try:
                        if self.sqlite:
                            await conn.exec_driver_sql("BEGIN IMMEDIATE")
                        else:
                            await conn.begin()
                            if not durable:
                                await conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                        try:
                            yield conn
                        except BaseException:
                            await conn.rollback()
                            raise
                        await conn.commit()
                    finally:
                        if lazy:  # a pooled connection goes back as the store set it
                            await _restore_full(conn)
        await anyio.lowlevel.checkpoint()  # deliver a cancellation that waited for us

    async def write_sync(self, fn: Callable[[Connection], T], *, durable: bool = True) -> T:
        """Run ``fn(conn)`` in one write transaction, ``conn`` a synchronous SQLAlchemy
        ``Connection``, and return its result (public: ``HubAPI.write_sync``). On a SQLite
        file it is ``run_write``'s one thread hop, on the same plain sqlite3 connection;
        elsewhere (PostgreSQL, in-memory SQLite) ``AsyncConnection.run_sync`` in ``write()``.
        ``fn`` commits nothing itself: returning commits, raising rolls back.
        ``durable``: as ``write()``'s."""
        if self.raw_writes:
            return await self.run_write(lambda raw: self._run_sa(fn), durable=durable)
        async with self.write(durable=durable) as conn:
            return await conn.run_sync(fn)

    def _run_sa(self, fn: Callable[[Connection], T]) -> T:
        if self._sync_engine is None:
            raw = self._raw
            self._sync_engine = create_engine("sqlite://", creator=lambda: _Held(raw),
                                              poolclass=StaticPool, pool_reset_on_return=None)
        with self._sync_engine.connect() as conn:
            return fn(conn)

    async def run_write(self, fn: Callable[[sqlite3.Connection], T], *,
                        durable: bool = True) -> T:
        """SQLite file only (``raw_writes``): run ``fn`` in one write transaction on a plain
        sqlite3 connection, in a worker thread, and return its result. Through aiosqlite
        every statement (and BEGIN, COMMIT, the pool's reset) is a hop between threads, and
        on a busy hub each hop costs milliseconds; here the whole transaction is one hop. For
        the hot writers (the event log, the outbox's marks; plugins use ``write_sync``);
        serialised with ``write()`` by the same lock. ``durable``: as ``write()``'s."""
        if not self.raw_writes:
            raise RuntimeError("run_write needs a SQLite file; use write_sync, which works on"
                               " every store")
        async with self._write_lock:
            with anyio.CancelScope(shield=True):
                result = await anyio.to_thread.run_sync(self._run_raw, fn, durable,
                                                        limiter=self._raw_thread)
        await anyio.lowlevel.checkpoint()
        return result

    def _run_raw(self, fn: Callable[[sqlite3.Connection], T], durable: bool = True) -> T:
        if self._raw is None:
            self._raw = sqlite3.connect(_sqlite_path(self.url), timeout=30,
                                        isolation_level=None, check_same_thread=False)
            _pragmas(self._raw)
        conn = self._raw
        lazy = not durable and SYNCHRONOUS != "NORMAL"
        if lazy:
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                if conn.in_transaction:  # SQLite ends it by itself after some errors
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            if lazy:
                try:
                    conn.execute("PRAGMA synchronous=FULL")
                except sqlite3.Error:  # a broken connection: never reused as NORMAL
                    self._raw, self._sync_engine = None, None
                    with contextlib.suppress(sqlite3.Error):
                        conn.close()
        return result

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; the body runs shielded, like ``write()``."""
        with anyio.CancelScope(shield=True):
            async with self._connection() as conn:
                yield conn
        await anyio.lowlevel.checkpoint()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        conn = await self.engine.connect()
        try:
            yield conn
        finally:
            await conn.close()  # back to the pool, rolled back if still open

    @asynccontextmanager
    async def quiesce(self) -> AsyncIterator[None]:
        """Hold the writer lock: no write transaction is under way while inside (shutdown)."""
        async with self._write_lock:
            yield

    async def close(self) -> None:
        async with self._write_lock:
            if self._sync_engine is not None:
                self._sync_engine.dispose()
                self._sync_engine = None
            if self._raw is not None:
                self._raw.close()
                self._raw = None
        await self.engine.dispose()
