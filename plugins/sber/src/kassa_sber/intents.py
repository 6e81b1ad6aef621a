"""What this till asked its terminal, written (fsynced) before each run, and the answer
after it: sb_pilot takes no order reference, so after a crash ``lookup(key)`` needs to know
which control-tape row belongs to which key. A key with no intent was never sent (None);
an intent with no answer is matched against the tape: the first row after the last
transaction number this till had seen, of the same type and amount, that no other key
claimed. Not a deduplication: the core's journal decides what runs; this only correlates."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE = "kassa-intents.jsonl"


class Intents:
    def __init__(self, work_dir: Path) -> None:
        self.path = work_dir / FILE
        self.asked: dict[str, dict[str, Any]] = {}
        self.answered: dict[str, dict[str, Any] | None] = {}
        self.claimed: set[int] = set()  # tape rows some key owns
        self.last_seen = 0  # the highest transaction number any answer carried
        if self.path.exists():
            for line in self.path.read_text("utf-8").splitlines():
                try:
                    self._apply(json.loads(line))
                except ValueError:
                    continue  # a line cut short by a crash: the intent before it stands

    def _apply(self, rec: dict[str, Any]) -> None:
        key = rec["key"]
        if "answer" in rec:
            self.answered[key] = rec["answer"]
            n = int(rec.get("n") or 0)
            if n:
                self.claimed.add(n)
                self.last_seen = max(self.last_seen, n)
        else:
            self.asked[key] = rec

    def _append(self, rec: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._apply(rec)

    def ask(self, key: str, op: str, amount: int, rrn: str | None = None) -> None:
        self._append({"key": key, "op": op, "amount": amount, "rrn": rrn,
                      "after": self.last_seen})

    def answer(self, key: str, answer: dict[str, Any] | None, n: int | None) -> None:
        """``answer`` None: the terminal did nothing (lookup says so without asking)."""
        self._append({"key": key, "answer": answer, "n": n})
