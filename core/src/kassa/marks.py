"""Group commit of the outbox's bookkeeping: each row's fate (sent, retry, dead, a digest's
fold), written for all chats together, in one thread hop on SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from typing import Any, NamedTuple

import anyio
from sqlalchemy import text

from kassa.model import Message
from kassa.store import Store
from kassa.store.engine import sqlite_time

MARK_LINGER = 0.02  # seconds the outbox gathers status marks into one write
MARKS_PER_WRITE = 32  # marks in one write transaction at most


class Digest(NamedTuple):
    """A fold made at send time: the message, the rows it merges, its top severity."""

    message: Message
    merged: list[int]
    severity: str
    body: str


# the marks, as SQL both SQLAlchemy (text) and plain sqlite3 (run_write) execute
SENT = ("UPDATE outbox SET status = 'sent', sent_at = :b_at, remote_id = :b_remote, "
        "attempts = :b_attempts, last_error = NULL WHERE id = :b_id")
RETRY = ("UPDATE outbox SET attempts = :b_attempts, last_error = :b_error, next_at = :b_next "
         "WHERE id = :b_id")
DEAD = ("UPDATE outbox SET status = 'dead', attempts = :b_attempts, last_error = :b_error "
        "WHERE id = :b_id")
_AS_DIGEST = ("UPDATE outbox SET kind = 'digest', severity = :b_severity, payload = :b_payload "
              "WHERE id = :b_id")


def _fold_ops(row_id: int, digest: Digest) -> list[tuple[str, dict[str, Any]]]:
    # the head becomes the digest, then the rows it carries point at it
    return [(_AS_DIGEST, {"b_id": row_id, "b_severity": digest.severity,
                          "b_payload": digest.body}),
            (_merged(digest.merged), {"b_digest": row_id})]


def _merged(ids: list[int]) -> str:
    """One statement for all the rows a digest carries (ids are our own integers)."""
    return (f"UPDATE outbox SET status = 'merged', digest_id = :b_digest "
            f"WHERE id IN ({', '.join(str(int(i)) for i in ids)})")


class Marks:
    """Group commit for the outbox's bookkeeping. Every chat's worker writes a row's fate
    (sent, retry, dead, a digest's fold) after each send; one write transaction each would
    queue them all before the event log at SQLite's single writer. Here the marks of all
    chats that arrive within ``linger`` go in one transaction, one executemany per kind.
    ``write`` returns once its mark is committed, so a worker never re-reads a row it has
    just sent as pending."""

    def __init__(self, store: Store, linger: float = MARK_LINGER) -> None:
        self.store = store
        self.linger = linger
        # one entry per write(): its statements commit together, never split across flushes
        self._queue: list[tuple[list[tuple[str, dict[str, Any]]], asyncio.Future[None]]] = []
        self._leading = False
        self.flushes = 0

    async def write(self, stmt: str, params: dict[str, Any]) -> None:
        """Write a row's mark (``params["b_id"]`` is the row); returns once committed."""
        await self._submit([(stmt, params)])

    async def fold(self, row_id: int, digest: Digest) -> None:
        """The row becomes ``digest`` and carries its merged rows, committed before anything is
        sent: a restarted hub then resends exactly this message, never a new fold of it."""
        await self._submit(_fold_ops(row_id, digest))

    async def _submit(self, ops: list[tuple[str, dict[str, Any]]]) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((ops, fut))
        if not self._leading:
            self._leading = True
            await self._lead()
        await fut

    async def _lead(self) -> None:
        try:
            await anyio.sleep(self.linger)
        finally:
            # shielded: marks that others queued are written even if this worker is stopped
            with anyio.CancelScope(shield=True):
                try:
                    while self._queue:
                        await self._flush(self._take())
                finally:
                    self._leading = False

    def _take(self) -> list[tuple[list[tuple[str, dict[str, Any]]], asyncio.Future[None]]]:
        """Whole writes, up to MARKS_PER_WRITE statements: a wave of digests (their
        payloads) must not hold the writer long while the event log waits for it."""
        n, size = 0, 0
        for ops, _ in self._queue:
            if n and size + len(ops) > MARKS_PER_WRITE:
                break
            n, size = n + 1, size + len(ops)
        batch, self._queue = self._queue[:n], self._queue[n:]
        return batch

    async def _flush(self, batch: list[tuple[list[tuple[str, dict[str, Any]]],
                                              asyncio.Future[None]]]) -> None:
        by_stmt: dict[str, list[dict[str, Any]]] = {}
        for ops, _ in batch:  # one executemany per kind; each row's marks in order
            for stmt, params in ops:
                by_stmt.setdefault(stmt, []).append(params)
        try:
            if self.store.raw_writes:
                await self.store.run_write(lambda raw: _flush_raw(raw, by_stmt))
            else:
                async with self.store.write() as conn:
                    for stmt, rows in by_stmt.items():
                        await conn.execute(text(stmt), rows)
        except Exception as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        self.flushes += 1
        for _, fut in batch:
            if not fut.done():
                fut.set_result(None)


def _flush_raw(raw: sqlite3.Connection, by_stmt: dict[str, list[dict[str, Any]]]) -> None:
    for stmt, rows in by_stmt.items():
        raw.executemany(stmt, [{k: sqlite_time(v) if isinstance(v, datetime) else v
                                for k, v in r.items()} for r in rows])
