"""What this register sent under each journal key: the external_id, the exact body and,
once ATOL answered, the uuid. An append-only JSON-lines file, written (and fsynced) before
a request leaves, so ``lookup(key)`` can find a document whose answer a crash lost."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attrs import define, field

SENDING, ACCEPTED, FAILED = "sending", "accepted", "failed"
COMPACT_FACTOR = 4  # rewrite the file at load when it holds this many rows per key


@define
class Sent:
    key: str
    attempt: int  # 1, 2...: a new external_id after each ``fail``
    external_id: str
    op: str  # sell, sell_refund, ..., buy_correction
    body: dict[str, Any] = field(factory=dict)  # byte-for-byte what went out
    uuid: str | None = None
    state: str = SENDING

    def row(self) -> dict[str, Any]:
        return {"key": self.key, "attempt": self.attempt, "external_id": self.external_id,
                "op": self.op, "body": self.body, "uuid": self.uuid, "state": self.state}


class SentLog:
    """key -> its latest ``Sent``; the file is the truth, the dict its cache."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: dict[str, Sent] | None = None
        self._torn = False  # the file ends inside a line (a crash mid-write)

    def _load(self) -> dict[str, Sent]:
        if self._rows is None:
            rows: dict[str, Sent] = {}
            text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            self._torn = bool(text) and not text.endswith("\n")
            lines = text.splitlines()
            for line in lines:
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError:  # a line half-written when the process died
                    continue
                rows[r["key"]] = Sent(key=r["key"], attempt=int(r["attempt"]),
                                      external_id=r["external_id"], op=r["op"],
                                      body=r["body"], uuid=r.get("uuid"), state=r["state"])
            self._rows = rows
            if len(lines) > COMPACT_FACTOR * max(len(rows), 100):
                self._compact()
        return self._rows

    def get(self, key: str) -> Sent | None:
        return self._load().get(key)

    def put(self, sent: Sent) -> None:
        self._load()[sent.key] = sent
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            # after a torn last line, start a new one (else this row is lost with it)
            f.write(("\n" if self._torn else "") + json.dumps(sent.row(), ensure_ascii=False)
                    + "\n")
            self._torn = False
            f.flush()
            os.fsync(f.fileno())

    def _compact(self) -> None:
        """Keep the latest row per key (each key is written 2-3 times), atomically."""
        assert self._rows is not None
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for sent in self._rows.values():
                f.write(json.dumps(sent.row(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._torn = False

    def __len__(self) -> int:
        return len(self._load())
