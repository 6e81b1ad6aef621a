"""The emulated terminal's memory on disk: its control tape (every transaction, kept across
runs like the real terminal's journal), the batch (day) counter, the last successful
transaction SuspendTrx/CommitTrx/RollbackTrx act on, and the scripted outcomes the control
server queues. One JSON file, replaced atomically, under an flock: one run at a time, as a
pin pad serves one operation at a time. Stdlib only (the emulator starts per operation)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STATE = "sber-terminal.json"
LOCK = "sber-terminal.lock"

# tape row states; "approved" and "committed" are money taken, the rest returned or none
TAKEN = ("approved", "suspended", "committed")


def empty(terminal_id: str = "00340001") -> dict[str, Any]:
    return {"terminal_id": terminal_id, "seq": 0, "batch": 1, "last_ok": None,
            "tape": [], "script": [], "pinpad": "on"}


def load(folder: Path) -> dict[str, Any]:
    path = folder / STATE
    if not path.exists():
        return empty()
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def save(folder: Path, state: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (STATE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / STATE)
    fd = os.open(folder, os.O_RDONLY)
    try:  # the rename itself must survive a power cut: the tape is the recovery source
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))  # who holds the pin pad now (tests kill an orphaned run)
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def holder(folder: Path) -> int | None:
    """The pid of the run that took the lock last (it may have ended since)."""
    raw = (folder / LOCK).read_text().strip() if (folder / LOCK).exists() else ""
    return int(raw) if raw.isdigit() else None


def push(folder: Path, outcome: dict[str, Any]) -> None:
    """Queue the outcome of the next card operation (purchase or refund / cancel)."""
    with locked(folder):
        state = load(folder)
        state["script"].append(outcome)
        save(folder, state)


def set_pinpad(folder: Path, on: bool) -> None:
    with locked(folder):
        state = load(folder)
        state["pinpad"] = "on" if on else "off"
        save(folder, state)


def charges(folder: Path) -> int:
    """Purchases that took money and were not given back (cancel, rollback, auto-cancel)."""
    return sum(1 for r in load(folder)["tape"] if r["ttype"] == 1 and r["state"] in TAKEN)


def effects(folder: Path) -> int:
    """Operations that moved money (approved purchases, cancels, refunds); not declines."""
    return sum(1 for r in load(folder)["tape"] if r["state"] != "declined")
