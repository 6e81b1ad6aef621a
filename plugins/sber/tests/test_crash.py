"""A real crash: the till is a child process running a purchase through the journal; it is
SIGKILLed once the terminal has the approval on its tape and before the answer came back.
A new till on the same database and folder runs the same key: charged once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kassa.journal import Journal
from kassa.model import CardResult
from kassa.store import Store
from kassa_sber import sim_tape
from kassa_sber.sim import command

from .conftest import make

pytestmark = pytest.mark.anyio

TILL = """
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio
from kassa.journal import Journal
from kassa.model import CardResult
from kassa.store import Store
from kassa_sber.settings import TerminalSettings
from kassa_sber.sim import emulator_argv
from kassa_sber.terminal import SberTerminal


async def main(db: str, work: str) -> None:
    store = Store(db)
    await store.prepare()
    t = SberTerminal(TerminalSettings(name="sber-1", pilot=emulator_argv(), suspend=False),
                     Path(work))
    await Journal(store, now=lambda: datetime.now(UTC)).run(
        "sale-1", component=t.name, concern="payment", kind="purchase", site="s1",
        station=None, request={"amount": 4200}, lookup=t.lookup,
        call=lambda: t.purchase(4200, key="sale-1"), result_type=CardResult)


anyio.run(main, sys.argv[1], sys.argv[2])
"""


def run_and_kill_the_till(db: str, work: Path) -> None:
    """Start the till, wait until the terminal has the approval, then cut the power."""
    command(work, "approve-hang")  # the bank approves; the answer never reaches the till
    till = subprocess.Popen([sys.executable, "-c", TILL, db, str(work)],
                            start_new_session=True, stdin=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if sim_tape.charges(work) == 1:
                break
            assert till.poll() is None, "the till ended by itself"
            time.sleep(0.05)
        assert sim_tape.charges(work) == 1
    finally:  # the power cut: the till and its sb_pilot run (a session of its own) die
        os.killpg(till.pid, signal.SIGKILL)
        till.wait(timeout=10)
        pid = sim_tape.holder(work)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def test_the_till_killed_after_the_approval_charges_once(tmp_path: Path) -> None:
    db, work = f"sqlite+aiosqlite:///{tmp_path / 'till.db'}", tmp_path / "sber-1"
    run_and_kill_the_till(db, work)
    store = Store(db)
    await store.prepare()
    try:
        journal = Journal(store, now=lambda: datetime.now(UTC))
        left = await journal.recover()
        assert [e.key for e in left] == ["sale-1"], "pending at the crash, unknown now"
        t = make(work)
        r = await journal.run("sale-1", component=t.name, concern="payment",
                              kind="purchase", site="s1", station=None,
                              request={"amount": 4200}, lookup=t.lookup,
                              call=lambda: t.purchase(4200, key="sale-1"),
                              result_type=CardResult)
        assert r.approved and r.amount == 4200 and r.rrn
        assert sim_tape.charges(work) == 1, "no double charge"
        assert [row["amount"] for row in sim_tape.load(work)["tape"]] == [4200]
    finally:
        await store.close()
