"""The reconcile log: a Shtrih-M register cannot store a request id, so before the first
command of a call the driver writes down what the register looked like (last FD number, the
through document number) and what the call will make; after the answer, the document. On
``lookup(key)`` the register's own archive (FF01, FF0A) is compared with that record.

One JSON line per event, fsynced: a crash between "sent" and "done" leaves the "sent" line.
A crash in the middle of a line leaves a torn last line: it is skipped on reading (its fsync
never returned, so for "sent" nothing was sent; for "done" ``lookup`` asks the FN again) and
the next line starts on a fresh one.

Compaction: an intent whose outcome the journal has settled (``done`` or ``failed``) is never
looked up again, so its lines go. The rest is written to ``<log>.tmp``, fsynced, renamed over
the log (atomic) and the folder fsynced: a crash at any point leaves either the old log or the
new one, both holding every unsettled intent. It runs at the first call of the process and
whenever the log outgrows ``compact_bytes``. Only one process may write a register's log."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from attrs import define, field
from kassa import codec
from kassa.journal import DONE, FAILED, Journal
from kassa.model import DocumentKind, FiscalDocument

log = logging.getLogger(__name__)

Settled = Callable[[str], Awaitable[bool]]


def journal_settled(journal: Journal) -> Settled:
    """"Settled" as the core's journal sees it: the key's entry is done or failed, so the
    journal will never ask ``lookup`` about it again."""

    async def settled(key: str) -> bool:
        entry = await journal.entry(key)
        return entry is not None and entry.status in (DONE, FAILED)

    return settled


@define
class Intent:
    key: str
    kind: DocumentKind
    at: datetime  # the register's clock (naive) just before the call
    fd_before: int | None  # FF01 last FD number
    doc_before: int  # 0x11 through document number
    total: int | None = None
    operation: int | None = None
    doc: FiscalDocument | None = field(default=None)


class IntentLog:
    def __init__(self, path: Path, *, settled: Settled | None = None,
                 compact_bytes: int = 1 << 20) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.settled = settled  # None: nothing is ever dropped (no journal to ask)
        self.compact_bytes = compact_bytes
        self._cache: dict[str, Intent] | None = None
        self._lines: dict[str, list[str]] = {}  # the raw lines of each key's current intent
        self._torn = False  # the file ends inside a line
        self._next_at: int | None = None  # size that triggers the next compaction

    def _load(self) -> dict[str, Intent]:
        if self._cache is None:
            self._cache, self._lines = {}, {}
            raw = self.path.read_bytes() if self.path.exists() else b""
            self._torn = bool(raw) and not raw.endswith(b"\n")
            for n, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    log.warning("shtrih: %s line %d is torn (a crash mid-write); skipped",
                                self.path, n)
                    continue
                self._apply(row, line)
        return self._cache

    def _apply(self, row: dict[str, Any], line: str) -> None:
        assert self._cache is not None
        key = row["key"]
        if row["phase"] == "sent":
            self._cache[key] = Intent(
                key=key, kind=DocumentKind(row["kind"]),
                at=datetime.fromisoformat(row["at"]), fd_before=row["fd_before"],
                doc_before=row["doc_before"], total=row.get("total"),
                operation=row.get("operation"))
            self._lines[key] = [line]  # a new attempt supersedes the earlier one's lines
        elif key in self._cache:
            self._cache[key].doc = codec.from_dict(row["doc"], FiscalDocument)
            self._lines[key].append(line)

    def _write(self, row: dict[str, Any]) -> None:
        self._load()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(row, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(("\n" if self._torn else "") + line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._torn = False
        self._apply(row, line)

    def get(self, key: str) -> Intent | None:
        return self._load().get(key)

    def keys(self) -> list[str]:
        return list(self._load())

    def claimed(self) -> set[int]:
        """FD numbers some key's document already is."""
        return {i.doc.number for i in self._load().values()
                if i.doc is not None and i.doc.number is not None}

    def sent(self, intent: Intent) -> None:
        self._write({"phase": "sent", "key": intent.key, "kind": intent.kind.value,
                     "at": intent.at.isoformat(), "fd_before": intent.fd_before,
                     "doc_before": intent.doc_before, "total": intent.total,
                     "operation": intent.operation})

    def done(self, key: str, doc: FiscalDocument) -> None:
        self._write({"phase": "done", "key": key, "doc": codec.to_dict(doc)})

    # --- compaction ------------------------------------------------------------------------
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    async def maybe_compact(self) -> int:
        """Compact at the first call of the process, then when the log outgrows
        ``compact_bytes`` (or twice what the last compaction left, if more stayed)."""
        if self.settled is None:
            return 0
        if self._next_at is not None and self.size() <= self._next_at:
            return 0
        try:
            dropped = await self.compact(self.settled)
        except Exception:  # the journal unreadable: keep everything, fiscalise anyway
            log.exception("shtrih: compacting %s failed; the log is kept whole", self.path)
            dropped = 0
        self._next_at = max(self.compact_bytes, 2 * self.size())
        return dropped

    async def compact(self, settled: Settled) -> int:
        """Drop the intents ``settled`` says are over; return how many went."""
        intents = self._load()
        drop = {key for key in list(intents) if await settled(key)}
        stale = self.tmp.exists()
        if not drop and not stale and not self._superseded():
            return 0
        keep = [line for key in intents if key not in drop for line in self._lines[key]]
        self._rewrite(keep)
        for key in drop:
            del intents[key], self._lines[key]
        self._torn = False
        log.info("shtrih: %s compacted: %d settled intents dropped, %d kept", self.path,
                 len(drop), len(intents))
        return len(drop)

    def _superseded(self) -> bool:
        """The file holds more lines than the current intents (retries, torn lines)."""
        return self.size() > sum(len(ln.encode()) + 1 for lines in self._lines.values()
                                 for ln in lines)

    def _rewrite(self, lines: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.tmp.open("w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(self.tmp, self.path)  # atomic: the old log or the new one, never half
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)
