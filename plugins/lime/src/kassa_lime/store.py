"""What the plugin keeps on disk (one SQLite file): holds on Lime rights, the result of every
keyed operation (``lookup``), and the outbox of checks to put, with Lime's check id once it
was asked for, delivery state and Lime's answer.

An operation's record, its hold change and its outbox row commit in ONE transaction: after
a crash either all of them are there (the till's payment went through, the check will be
put) or none is (nothing happened). Calls are synchronous: each is a few local rows.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kassa import codec

from kassa_lime.check import Check

SCHEMA = """
CREATE TABLE IF NOT EXISTS holds (
  id TEXT PRIMARY KEY, card_uid TEXT NOT NULL, card_id INTEGER NOT NULL,
  holder TEXT NOT NULL DEFAULT '',
  parts TEXT NOT NULL,            -- [[right_id, right_name, kopecks], ...] held
  amount INTEGER NOT NULL, captured INTEGER NOT NULL DEFAULT 0,
  refunded INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, check_id INTEGER,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ops (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, result TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,   -- ours: the outbox order
  key TEXT UNIQUE NOT NULL, number INTEGER, check_json TEXT NOT NULL,
  returns INTEGER,                        -- a return: our id of the check it gives back
  status TEXT NOT NULL,                   -- pending | delivered | refused
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT, answer TEXT,
  created_at TEXT NOT NULL, delivered_at TEXT);
"""


def utc(at: datetime) -> str:
    """A time as text that sorts as time does (one zone for every row)."""
    return at.astimezone(UTC).isoformat()


class LimeStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed capture survives power loss
        self.db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- reads ----------------------------------------------------------------------------
    def op(self, key: str) -> str | None:
        found = self.op_of(key)
        return None if found is None else found[1]

    def op_of(self, key: str) -> tuple[str, str] | None:
        """(kind, result JSON) of the operation recorded under ``key``."""
        row = self.db.execute("SELECT kind, result FROM ops WHERE key=?", (key,)).fetchone()
        return None if row is None else (str(row["kind"]), str(row["result"]))

    def hold(self, hold_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM holds WHERE id=?",
                                                  (hold_id,)).fetchone()
        return row

    def held(self, card_id: int, since: datetime) -> dict[int, int]:
        """Per right of a card: what open holds made after ``since`` reserve."""
        out: dict[int, int] = {}
        for row in self.db.execute("SELECT parts FROM holds WHERE card_id=? AND "
                                   "status='authorized' AND created_at>=?",
                                   (card_id, utc(since))):
            for right_id, _name, amount in codec.json_loads(row["parts"]):
                out[int(right_id)] = out.get(int(right_id), 0) + int(amount)
        return out

    def pending(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM checks WHERE status='pending' ORDER BY id"))

    def check_row(self, check_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM checks WHERE id=?",
                                                  (check_id,)).fetchone()
        return row

    def returns_of(self, check_id: int) -> list[Check]:
        """The return checks that give back parts of our check ``check_id`` (not refused)."""
        return [codec.loads(row["check_json"], Check) for row in self.db.execute(
            "SELECT check_json FROM checks WHERE returns=? AND status!='refused' ORDER BY id",
            (check_id,))]

    def checks(self, since: datetime | None = None, until: datetime | None = None
               ) -> list[tuple[sqlite3.Row, Check]]:
        """Every check we put or will put (not the refused ones), oldest first."""
        out = []
        for row in self.db.execute("SELECT * FROM checks WHERE status!='refused' ORDER BY id"):
            chk = codec.loads(row["check_json"], Check)
            if (since is None or chk.time >= since) and (until is None or chk.time < until):
                out.append((row, chk))
        return out

    # --- writes (inside ``tx``) -----------------------------------------------------------
    @staticmethod
    def record(db: sqlite3.Connection, key: str, kind: str, result: Any, at: datetime
               ) -> None:
        db.execute("INSERT INTO ops(key, kind, result, created_at) VALUES (?,?,?,?)",
                   (key, kind, codec.dumps(result), at.isoformat()))

    @staticmethod
    def enqueue(db: sqlite3.Connection, key: str, check: Check, at: datetime,
                returns: int | None = None) -> int:
        cur = db.execute("INSERT INTO checks(key, check_json, returns, status, created_at) "
                         "VALUES (?,?,?,'pending',?)",
                         (key, codec.dumps(check), returns, at.isoformat()))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def set_number(self, check_id: int, number: int, check: Check) -> None:
        with self.tx() as db:
            db.execute("UPDATE checks SET number=?, check_json=? WHERE id=?",
                       (number, codec.dumps(check), check_id))

    def attempt(self, check_id: int, error: str | None) -> None:
        with self.tx() as db:
            db.execute("UPDATE checks SET attempts=attempts+1, error=? WHERE id=?",
                       (error, check_id))

    def delivered(self, check_id: int, answer: Any, at: datetime) -> None:
        with self.tx() as db:
            db.execute("UPDATE checks SET status='delivered', answer=?, delivered_at=?, "
                       "attempts=attempts+1, error=NULL WHERE id=?",
                       (codec.json_dumps(answer), at.isoformat(), check_id))

    def refused(self, check_id: int, error: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE checks SET status='refused', error=?, attempts=attempts+1 "
                       "WHERE id=?", (error, check_id))
