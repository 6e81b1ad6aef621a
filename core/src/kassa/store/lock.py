"""One hub per data folder and per database: a second ``kassa run`` refuses, naming the first.

The data folder's claim is ``fcntl.flock`` on ``<data>/kassa.lock`` (the file holds the pid);
the OS drops it when the process dies, so a crash never leaves a stale lock behind. On
PostgreSQL the claim is a session advisory lock on a connection held for the hub's life,
whose ``application_name`` carries the pid, so the second hub can say whose it is.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import Any

from kassa.errors import UserError
from kassa.store.engine import normalise_url

LOCK_FILE = "kassa.lock"
# pg_try_advisory_lock(int4, int4): the first key says "kassa", the second "the hub"
PG_KEYS = (0x4B415353, 1)
CONNECT_TIMEOUT_S = 10


class StoreLock:
    """Held from ``acquire`` to ``release`` (or the end of the process)."""

    def __init__(self, data_path: Path, store_url: str = "") -> None:
        self.path = data_path / LOCK_FILE
        self.url = normalise_url(store_url) if store_url else ""
        self._fd: int | None = None
        self._pg: Any = None  # (engine, connection) holding the advisory lock

    async def acquire(self) -> None:
        self._lock_folder()
        if self.url.startswith("postgresql"):
            try:
                await self._lock_database()
            except BaseException:
                self._unlock_folder()
                raise

    async def release(self) -> None:
        if self._pg is not None:
            engine, conn = self._pg
            self._pg = None
            try:
                await conn.close()  # the session ends: PostgreSQL drops its advisory lock
            finally:
                await engine.dispose()
        self._unlock_folder()

    async def __aenter__(self) -> StoreLock:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()

    # --- the data folder ------------------------------------------------------------------
    def _lock_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UserError(f"cannot create the lock file {self.path}: "
                            f"{exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            who = f"pid {held}" if held.isdigit() else "another process"
            raise UserError(f"another hub ({who}) is already running on the data folder "
                            f"{self.path.parent}; stop it, or give this one its own "
                            "hub.data_dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def _unlock_folder(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)  # the file stays (deleting it would race a newcomer's open)
            os.close(fd)  # closing drops the flock

    # --- PostgreSQL -----------------------------------------------------------------------
    async def _lock_database(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.pool import NullPool

        me = f"kassa hub pid {os.getpid()} on {socket.gethostname()}"[:63]
        # a server that accepts but never answers must not hold start-up forever
        engine = create_async_engine(self.url, poolclass=NullPool,
                                     connect_args={"application_name": me,
                                                   "connect_timeout": CONNECT_TIMEOUT_S})
        try:
            try:
                conn = await engine.connect()
            except Exception as exc:  # refused, timed out, bad password: one sentence
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                raise UserError(f"cannot reach the database {_where(self.url)}: "
                                f"{reason}") from None
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                                      {"a": PG_KEYS[0], "b": PG_KEYS[1]})).scalar()
            if not got:
                holder = (await conn.execute(text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = :a "
                    "AND l.objid = :b AND l.objsubid = 2 AND l.granted LIMIT 1"),
                    {"a": PG_KEYS[0], "b": PG_KEYS[1]})).scalar()
                await conn.close()
                who = (holder or "").removeprefix("kassa hub ") or "another process"
                raise UserError(f"another hub ({who}) is already running on this database "
                                f"({_where(self.url)}); stop it, or give this one its own "
                                "store.url")
        except BaseException:
            await engine.dispose()
            raise
        self._pg = (engine, conn)


def _where(url: str) -> str:
    """host/database of a URL, without user or password."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"{u.host or 'localhost'}{':' + str(u.port) if u.port else ''}/{u.database}"
