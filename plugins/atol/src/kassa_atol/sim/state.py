"""The emulator's state file: what a restarted emulator still knows, as the real register and
its Web Server would after a power cycle. The FN keeps its counters, shift and documents (it is
non-volatile by law; the unconfirmed ones are still sent to the OFD); the Web Server keeps every
request and its results, so ``GET /api/v2/requests/{uuid}`` answers for tasks run before the
restart and a repeated uuid is still a duplicate (fiscal.md §2.2 says nothing of how long the
real one keeps them: unverified). Requests stored but not yet run are run after the restart.
Faults are the tester's, not the register's: they are not kept.

One JSON file, replaced atomically (a temporary file, fsync, rename), written before a POST is
answered 201, after each request ran, after each OFD confirmation and after a clock change."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kassa_atol.sim.kkt import Document, Kkt
    from kassa_atol.sim.server import WebServer

VERSION = 1


class StateError(ValueError):
    """The state file cannot be read back (one sentence, the path named)."""


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _untime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _doc(d: Document) -> dict[str, Any]:
    return {"number": d.number, "form": d.form, "at": d.at.isoformat(),
            "total": str(d.total) if d.total is not None else None, "sign": d.sign,
            "shift": d.shift, "receipt_number": d.receipt_number, "ticket": d.ticket}


def dump(web: WebServer) -> dict[str, Any]:
    k: Kkt = web.kkt
    return {"version": VERSION,
            "fn": {"fn": k.fn, "reg_number": k.reg_number, "fd": k.fd, "shift": k.shift,
                   "shift_open": k.shift_open, "shift_opened_at": _time(k.shift_opened_at),
                   "receipt_number": k.receipt_number, "cash": str(k.cash),
                   "not_printed": k.not_printed, "ofd_last_ok": _time(k.ofd_last_ok),
                   "documents": [_doc(d) for d in k.documents],
                   "unsent": [d.number for d in k.unsent]},
            "web": {"requests": web.requests, "pending": web.pending(),
                    "errors": web.errors[-20:], "clock_offset": web.offset.total_seconds()}}


def restore(web: WebServer, data: Any) -> None:
    from kassa_atol.sim.kkt import Document

    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise StateError(f"not a version {VERSION} state of this emulator")
    fn, w = data["fn"], data["web"]
    k = web.kkt
    k.fn, k.reg_number = fn["fn"], fn["reg_number"]
    k.fd, k.shift, k.shift_open = int(fn["fd"]), int(fn["shift"]), bool(fn["shift_open"])
    k.shift_opened_at = _untime(fn["shift_opened_at"])
    k.receipt_number, k.cash = int(fn["receipt_number"]), Decimal(fn["cash"])
    k.not_printed, k.ofd_last_ok = bool(fn["not_printed"]), _untime(fn["ofd_last_ok"])
    k.documents = [Document(number=d["number"], form=d["form"],
                            at=datetime.fromisoformat(d["at"]),
                            total=Decimal(d["total"]) if d["total"] is not None else None,
                            sign=d["sign"], shift=d["shift"],
                            receipt_number=d["receipt_number"], ticket=d["ticket"])
                   for d in fn["documents"]]
    by_number = {d.number: d for d in k.documents if d.number is not None}
    k.unsent = [by_number[n] for n in fn["unsent"]]
    web.requests = {str(u): list(r) for u, r in w["requests"].items()}
    web.errors = list(w["errors"])
    web.offset = timedelta(seconds=float(w["clock_offset"]))
    for uuid, tasks in w["pending"]:
        web.requeue(str(uuid), list(tasks))


class StateFile:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.saves = 0

    def load(self, web: WebServer) -> bool:
        """Restore ``web`` (and its register) from the file; False if there is none yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StateError(f"{self.path}: cannot be read ({exc.strerror})") from None
        try:
            restore(web, json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(f"{self.path}: not a state this emulator wrote ({exc})") from None
        return True

    def save(self, web: WebServer) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        body = json.dumps(dump(web), ensure_ascii=False).encode()
        with open(tmp, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)  # a reader sees the old state or the new, never half
        self.saves += 1
