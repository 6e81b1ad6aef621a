"""No receipt without money, no money without a receipt, across a real crash: a till process
paying card + cash is SIGKILLed after the card answered, before the register printed, and
after it printed; a new hub on the same store finishes the payment at start
(``Till.resume_payments``): the far ends hold exactly one card charge (committed) and one
receipt, the check is closed with its change, and the X report counts one sale."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import kassa_pos
import pytest
from kassa.testing import make_hub

from .crash.pay_at_till import ANNA, CARD, CASH, CFG, Parts, till_of

pytestmark = pytest.mark.anyio
CHILD = Path(__file__).parent / "crash" / "pay_at_till.py"


def start(data: Path, far: Path, stall: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(CHILD), str(data), str(far), "--stall", stall],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def kill_at_stall(proc: subprocess.Popen[str], marker: Path, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the till exited before the stall: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the till never stalled: {proc.communicate()}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


@pytest.mark.parametrize("stall", ["card", "receipt", "printed"])
async def test_killed_mid_payment_then_resumed_once(tmp_path: Path, stall: str) -> None:
    data, far = tmp_path / "data", tmp_path / "far"
    data.mkdir()
    proc = start(data, far, stall)
    kill_at_stall(proc, far.with_suffix(".stalled"))
    assert proc.returncode == -signal.SIGKILL
    parts = Parts(far, None)  # the same far ends, no stall
    reg, card = parts.reg, parts.card
    async with make_hub(CFG, data, plugins=[kassa_pos, parts]) as h:
        assert card.effects("purchase") == 1  # the money was taken before the kill
        assert reg.effects("receipt") == (1 if stall == "printed" else 0)
        till = await till_of(h)
        (paid,) = await till.resume_payments(ANNA)
        assert paid.change == CARD + CASH - (2 * 8990 + 4550)
        assert reg.effects("receipt") == 1 and paid.document.total == 2 * 8990 + 4550
        assert card.effects("purchase") == 1 and card.charged() == CARD
        assert card.effects("commit") == 1
        assert till.book.checks("till1") == [] and await till.resume_payments(ANNA) == []
        closed = [e for e in await h.events(site="s1") if e.kind == "pos_check_closed"]
        assert len(closed) == 1
        x = await till.x_report(ANNA)
        assert (x.sales, x.sales_total) == (1, 2 * 8990 + 4550)
        assert x.drawer == 100000 + (2 * 8990 + 4550 - CARD)


async def test_scanned_lines_survive_the_till_process_being_killed(tmp_path: Path) -> None:
    """A plain scan commits without an fsync: a SIGKILL right after it loses nothing (the
    commit is in SQLite's WAL), the check and its line_added events both there."""
    data, far = tmp_path / "data", tmp_path / "far"
    data.mkdir()
    proc = start(data, far, "scanned")
    kill_at_stall(proc, far.with_suffix(".stalled"))
    async with make_hub(CFG, data, plugins=[kassa_pos, Parts(far, None)]) as h:
        till = await till_of(h)
        (check,) = till.book.checks("till1")
        lines = [(ln.item_code, ln.quantity) for ln in check.live]
        assert lines == [("m1", Decimal(2)), ("b1", Decimal(1))]
        added = [e for e in await h.events(site="s1") if e.kind == "pos_line_added"]
        assert len(added) == 2

