"""The on-disk queue of one feed: encoded events in arrival order, kept until written to the
video system. A SQLite file (stdlib ``sqlite3``, WAL, ``synchronous=FULL``): ``append``
returns only once the row is on disk, so the hub's acknowledgement never outruns the disk.
Calls block on the disk; the feed runs them in a worker thread."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from attrs import frozen

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@frozen
class Item:
    seq: int
    key: str
    kind: str
    queued_at: datetime
    payload: bytes


class Buffer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
        self.db.executescript(SCHEMA)
        self.sent = int(self.meta("sent") or 0)  # rows ever written out, across restarts

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def append(self, key: str, kind: str, queued_at: datetime, payload: bytes) -> int:
        with self.lock:
            cur = self.db.execute(
                "INSERT INTO queue (key, kind, queued_at, payload) VALUES (?, ?, ?, ?)",
                (key, kind, queued_at.astimezone(UTC).isoformat(), payload))
            return int(cur.lastrowid or 0)

    def head(self, limit: int) -> list[Item]:
        with self.lock:
            rows = self.db.execute("SELECT seq, key, kind, queued_at, payload FROM queue"
                                   " ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [Item(seq=r[0], key=r[1], kind=r[2], queued_at=datetime.fromisoformat(r[3]),
                     payload=bytes(r[4])) for r in rows]

    def ack(self, upto: int) -> None:
        """Drop every row up to ``seq`` (written out), in one transaction with the count."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                gone = self.db.execute("DELETE FROM queue WHERE seq <= ?", (upto,)).rowcount
                self.db.execute("INSERT INTO meta VALUES ('sent', ?) ON CONFLICT(name) DO"
                                " UPDATE SET value = excluded.value", (str(self.sent + gone),))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.sent += gone

    def pending(self) -> tuple[int, datetime | None]:
        """How many rows wait, and when the oldest was queued."""
        with self.lock:
            count, oldest = self.db.execute("SELECT count(*), min(queued_at) FROM queue"
                                            ).fetchone()
        return int(count), datetime.fromisoformat(oldest) if oldest else None

    def meta(self, name: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, name: str, value: str | None) -> None:
        with self.lock:
            if value is None:
                self.db.execute("DELETE FROM meta WHERE name = ?", (name,))
            else:
                self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(name) DO UPDATE"
                                " SET value = excluded.value", (name, value))
