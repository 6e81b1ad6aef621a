"""The far end of a fake component: what the register printed, the bank charged, the
printer put on paper. Kept in a SQLite file when ``path`` is given, so a test can kill the
process using the component and count the effects from another one."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from kassa import codec


class FarEnd:
    """Effects (one row per thing that happened, never deduplicated: that is the
    journal's job) and a small state (counters, the shift) as JSON."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an effect is on disk before the answer
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS effects (id INTEGER PRIMARY KEY,"
                             " key TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY,"
                             " body TEXT NOT NULL)")

    def state(self, name: str, default: dict[str, Any]) -> dict[str, Any]:
        row = self._db.execute("SELECT body FROM state WHERE name = ?", (name,)).fetchone()
        return dict(codec.json_loads(row[0])) if row else dict(default)

    def record(self, key: str, kind: str, body: Any, *, state: tuple[str, dict[str, Any]]
               | None = None) -> None:
        """One effect (and the state after it) in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO effects (key, kind, body) VALUES (?, ?, ?)",
                                 (key, kind, codec.dumps(body)))
                if state is not None:
                    self._put(*state)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def put_state(self, name: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._put(name, body)

    def _put(self, name: str, body: dict[str, Any]) -> None:
        self._db.execute("INSERT INTO state (name, body) VALUES (?, ?) ON CONFLICT (name)"
                         " DO UPDATE SET body = excluded.body", (name, codec.json_dumps(body)))

    def effects(self, kind: str | None = None) -> list[tuple[str, str, Any]]:
        """(key, kind, body as JSON data) in the order they happened."""
        q = "SELECT key, kind, body FROM effects"
        rows = (self._db.execute(q + " WHERE kind = ? ORDER BY id", (kind,)) if kind
                else self._db.execute(q + " ORDER BY id")).fetchall()
        return [(k, t, codec.json_loads(b)) for k, t, b in rows]

    def find(self, key: str, kinds: tuple[str, ...] = ()) -> Any:
        """The body of the first effect recorded with ``key`` (of ``kinds``), else None."""
        for k, t, body in self.effects():
            if k == key and (not kinds or t in kinds):
                return body
        return None

    def close(self) -> None:
        self._db.close()
