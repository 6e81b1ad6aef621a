"""The engine (SQLite by default, PostgreSQL by URL), migrations, and the write lock."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("kassa.store")
T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"


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
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Run alembic migrations up to ``revision``."""
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), revision))


def head_revision() -> str | None:
    """The newest migration this Kassa ships."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


class Store:
    """Owns the engine. Writes go through ``write()``: on SQLite one writer at a time."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sqlite = self.url.startswith("sqlite")
        self._write_lock = anyio.Lock()
        self._raw: sqlite3.Connection | None = None  # run_write's own connection
        self._raw_thread = anyio.CapacityLimiter(1)
        # a second connection sees the same data only in a file database
        self.raw_writes = self.sqlite and _sqlite_path(self.url) not in ("", ":memory:")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def upgrade(self) -> None:
        await upgrade(self.engine)

    async def prepare(self) -> None:
        """Make the schema current before use: SQLite and an empty database are migrated
        here; an older PostgreSQL schema asks for `kassa db upgrade` (a deliberate step at
        chain scale, where several nodes share the database)."""
        from kassa.errors import ConfigError

        rev = None if self.sqlite else await current_revision(self.engine)
        if self.sqlite or rev is None:
            await self.upgrade()
            return
        head = head_revision()
        if rev != head:
            raise ConfigError(f"the database is at revision {rev}, this Kassa needs {head}:"
                              " run `kassa db upgrade`", path="store.url")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. SQLite: serialised here and BEGIN IMMEDIATE, so no writer
        ever fails with 'database is locked' half way through.

        The body runs shielded from cancellation (keep it to database work): a statement
        cut off half way makes the driver drop the connection, which on SQLite can leave the
        write lock held and, with aiosqlite, a close that never completes. Cancellation takes
        effect right after the block."""
        lock = self._write_lock if self.sqlite else contextlib.nullcontext()
        async with lock:
            with anyio.CancelScope(shield=True):
                async with self._connection() as conn:
                    if self.sqlite:
                        await conn.exec_driver_sql("BEGIN IMMEDIATE")
                    else:
                        await conn.begin()
                    try:
                        yield conn
                    except BaseException:
                        await conn.rollback()
                        raise
                    await conn.commit()
        await anyio.lowlevel.checkpoint()  # deliver a cancellation that waited for us

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """SQLite only: run ``fn`` in one write transaction on a plain sqlite3 connection,
        in a worker thread, and return its result. Through aiosqlite every statement (and
        BEGIN, COMMIT, the pool's reset) is a hop between threads, and on a busy hub each hop
        costs milliseconds; here the whole transaction is one hop. For the hot writers (the
        event log, the outbox's marks); serialised with ``write()`` by the same lock."""
        assert self.raw_writes, "run_write is the SQLite (file) fast path"
        async with self._write_lock:
            with anyio.CancelScope(shield=True):
                result = await anyio.to_thread.run_sync(self._run_raw, fn,
                                                        limiter=self._raw_thread)
        await anyio.lowlevel.checkpoint()
        return result

    def _run_raw(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._raw is None:
            self._raw = sqlite3.connect(_sqlite_path(self.url), timeout=30,
                                        isolation_level=None, check_same_thread=False)
            _pragmas(self._raw)
        conn = self._raw
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            if conn.in_transaction:  # SQLite ends it by itself after some errors (disk full)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
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
            if self._raw is not None:
                self._raw.close()
                self._raw = None
        await self.engine.dispose()
