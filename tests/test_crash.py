"""Crash in the middle (issue 18's "Done when"): a real till process is SIGKILLed between
request and answer, restarted, and retries the same key: exactly one receipt (one card
charge) at the far end, and the journal row ends ``done``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

TILL = Path(__file__).parent / "crash" / "till.py"


def run(data: Path, far: Path, what: str, key: str, stall: str | None = None
        ) -> subprocess.Popen[str]:
    args = [sys.executable, str(TILL), str(data), str(far), what, key]
    if stall:
        args += ["--stall", stall]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the table is not there yet
        return []
    finally:
        conn.close()


def wait_for(cond, proc: subprocess.Popen[str], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"the till exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out: {proc.communicate()}")
        time.sleep(0.05)


def journal_status(data: Path, key: str) -> str | None:
    rows = query(data / "kassa.db", "SELECT status FROM journal WHERE key = ?", key)
    return rows[0][0] if rows else None


def effects(far: Path, what: str, kind: str) -> int:
    db = far.with_suffix(".fr.db" if what == "receipt" else ".card.db")
    rows = query(db, "SELECT count(*) FROM effects WHERE kind = ?", kind)
    return rows[0][0] if rows else 0  # no file or no table yet: nothing happened


@pytest.mark.parametrize("what,kind", [("receipt", "receipt"), ("card", "purchase")])
@pytest.mark.parametrize("stall", ["before", "after", "answered"])
def test_killed_between_request_and_answer_then_retried(tmp_path, what, kind, stall):
    data, far = tmp_path / "data", tmp_path / "far"
    data.mkdir(mode=0o700)
    proc = run(data, far, what, "sale-1", stall)
    if stall == "before":  # the journal committed pending; the register has not acted yet
        wait_for(lambda: journal_status(data, "sale-1") == "pending", proc)
    elif stall == "after":  # the register acted; its answer has not come back
        wait_for(lambda: effects(far, what, kind) == 1, proc)
    else:  # the answer is in the till's memory, the journal has not recorded it
        wait_for(lambda: far.with_suffix(".answered").exists(), proc)
    assert journal_status(data, "sale-1") == "pending"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert effects(far, what, kind) == (0 if stall == "before" else 1)

    again = run(data, far, what, "sale-1")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert effects(far, what, kind) == 1, "exactly one at the far end"
    assert journal_status(data, "sale-1") == "done"
    assert result.get("total", result.get("amount")) == 15000
