"""The reconcile log: a Shtrih-M register cannot store a request id, so before the first
command of a call the driver writes down what the register looked like (last FD number, the
through document number) and what the call will make; after the answer, the document. On
``lookup(key)`` the register's own archive (FF01, FF0A) is compared with that record.

One JSON line per event, fsynced: a crash between "sent" and "done" leaves the "sent" line."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from attrs import define, field
from kassa import codec
from kassa.model import DocumentKind, FiscalDocument


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
    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: dict[str, Intent] | None = None

    def _load(self) -> dict[str, Intent]:
        if self._cache is None:
            self._cache = {}
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        self._apply(json.loads(line))
        return self._cache

    def _apply(self, row: dict[str, Any]) -> None:
        assert self._cache is not None
        if row["phase"] == "sent":
            self._cache[row["key"]] = Intent(
                key=row["key"], kind=DocumentKind(row["kind"]),
                at=datetime.fromisoformat(row["at"]), fd_before=row["fd_before"],
                doc_before=row["doc_before"], total=row.get("total"),
                operation=row.get("operation"))
        elif row["key"] in self._cache:
            self._cache[row["key"]].doc = codec.from_dict(row["doc"], FiscalDocument)

    def _write(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._load()
        self._apply(row)

    def get(self, key: str) -> Intent | None:
        return self._load().get(key)

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
