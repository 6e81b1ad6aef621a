"""The reconcile log's compaction: settled intents (the journal's done / failed) go, every
unsettled one stays, through an atomic rewrite that a crash at any point (the writer killed
with SIGKILL mid-rewrite, in a child process) cannot lose; torn lines; the size trigger; the
first call of a process compacts; the journal as the judge of "settled"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kassa.errors import UserError
from kassa.journal import Journal
from kassa.model import (
    Cashier,
    DocumentKind,
    FiscalDocument,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa.store import Store
from kassa_shtrih import commands as c
from kassa_shtrih.device import ShtrihRegister
from kassa_shtrih.intents import Intent, IntentLog, Settled, journal_settled
from kassa_shtrih.sim.harness import SimRegister

AT = datetime(2026, 3, 2, 12, 0)
CASHIER = Cashier(name="Иванова")


def receipt(total: int) -> Receipt:
    return Receipt(operation=Operation.SELL, taxation=TaxSystem.USN_INCOME,
                   lines=[ReceiptLine(name="Чай", price=total, quantity=1, total=total,
                                      vat=VatRate.VAT22)],
                   payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)],
                   total=total, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


def fill(log: IntentLog, n: int = 10) -> None:
    """k0..k{n-1}: the even ones answered (a document), the odd ones left "sent"."""
    for i in range(n):
        log.sent(Intent(key=f"k{i}", kind=DocumentKind.RECEIPT, at=AT, fd_before=i,
                        doc_before=i, total=100 * i, operation=1))
        if i % 2 == 0:
            log.done(f"k{i}", FiscalDocument(kind=DocumentKind.RECEIPT, issued_at=AT.replace(
                tzinfo=UTC), number=i + 1, total=100 * i,
                fiscal_sign=f"{i:010d}", fn="9999078900000961", operation=Operation.SELL))


def settled_by(keys: set[str]) -> Settled:
    async def settled(key: str) -> bool:
        return key in keys

    return settled


def snapshot(path: Path) -> dict[str, Intent]:
    log = IntentLog(path)
    return {k: i for k in log.keys() if (i := log.get(k)) is not None}


SETTLED = {"k0", "k2", "k3", "k4"}  # done, done, failed (sent only), done


@pytest.mark.anyio
async def test_compaction_drops_settled_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "r.intents.jsonl"
    fill(IntentLog(path))
    before, size = snapshot(path), path.stat().st_size
    log = IntentLog(path)
    assert await log.compact(settled_by(SETTLED)) == 4
    after = snapshot(path)
    assert set(after) == set(before) - SETTLED
    assert all(after[k] == before[k] for k in after), "kept intents unchanged"
    assert path.stat().st_size < size and not log.tmp.exists()
    assert {k: log.get(k) for k in log.keys()} == after, "the cache agrees with the file"
    log.sent(Intent(key="k99", kind=DocumentKind.CASH_IN, at=AT, fd_before=None,
                    doc_before=5, total=1))
    assert "k99" in snapshot(path), "appends go on in the new file"


@pytest.mark.anyio
async def test_a_retried_key_keeps_only_its_last_attempt(tmp_path: Path) -> None:
    path = tmp_path / "r.intents.jsonl"
    log = IntentLog(path)
    for fd in (1, 2, 3):
        log.sent(Intent(key="k", kind=DocumentKind.RECEIPT, at=AT, fd_before=fd,
                        doc_before=fd, total=5, operation=1))
    assert await log.compact(settled_by(set())) == 0
    assert len(path.read_text().splitlines()) == 1
    last = IntentLog(path).get("k")
    assert last is not None and last.fd_before == 3


def test_a_torn_last_line_is_skipped_and_the_next_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "r.intents.jsonl"
    fill(IntentLog(path), 2)
    with path.open("ab") as f:
        f.write(b'{"phase": "sent", "key": "torn", "ki')  # the crash came mid-line
    log = IntentLog(path)
    assert log.keys() == ["k0", "k1"]
    log.sent(Intent(key="k2", kind=DocumentKind.RECEIPT, at=AT, fd_before=2, doc_before=2))
    assert IntentLog(path).keys() == ["k0", "k1", "k2"]


@pytest.mark.anyio
async def test_compaction_by_size(tmp_path: Path) -> None:
    asked: list[str] = []

    async def settled(key: str) -> bool:
        asked.append(key)
        return True

    log = IntentLog(tmp_path / "r.intents.jsonl", settled=settled, compact_bytes=4096)
    assert await log.maybe_compact() == 0  # the first call: nothing yet
    fill(log, 4)
    assert await log.maybe_compact() == 0 and not asked, "under the size: not even asked"
    fill(log, 40)
    assert log.size() > 4096
    assert await log.maybe_compact() == 40 and log.size() == 0


@pytest.mark.anyio
async def test_a_failing_judge_keeps_everything(tmp_path: Path) -> None:
    async def broken(key: str) -> bool:
        raise OSError("database is locked")

    path = tmp_path / "r.intents.jsonl"
    fill(IntentLog(path), 4)
    log = IntentLog(path, settled=broken)
    assert await log.maybe_compact() == 0
    assert IntentLog(path).keys() == ["k0", "k1", "k2", "k3"]


# --- a crash in the middle of the rewrite ------------------------------------------------
CHILD = r"""
import asyncio, os, sys, time
from pathlib import Path
from kassa_shtrih.intents import IntentLog

path, point, keys = Path(sys.argv[1]), sys.argv[2], set(sys.argv[3].split(","))
real_replace = os.replace

def hang(*_a):
    print("ready", flush=True)
    time.sleep(120)

if point == "tmp-unsynced":  # the new log is written but not yet on disk
    os.fsync = hang
elif point == "before-rename":
    os.replace = hang
elif point == "after-rename":  # renamed, the folder not yet fsynced
    def replace(a, b):
        real_replace(a, b)
        hang()
    os.replace = replace

async def settled(key):
    return key in keys

asyncio.run(IntentLog(path).compact(settled))
print("finished", flush=True)
"""


def kill_mid_rewrite(path: Path, point: str) -> int:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), point,
                              ",".join(sorted(SETTLED))], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"  # blocks until it is mid-rewrite
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    return child.returncode


@pytest.mark.parametrize("point", ["tmp-unsynced", "before-rename", "after-rename"])
@pytest.mark.anyio
async def test_the_writer_killed_mid_rewrite_loses_no_unsettled_intent(
        tmp_path: Path, point: str) -> None:
    path = tmp_path / "r.intents.jsonl"
    fill(IntentLog(path))
    before = snapshot(path)
    assert kill_mid_rewrite(path, point) == -signal.SIGKILL
    after = snapshot(path)
    unsettled = set(before) - SETTLED
    assert unsettled <= set(after), f"lost {unsettled - set(after)}"
    assert all(after[k] == before[k] for k in after)
    assert set(after) == (unsettled if point == "after-rename" else set(before))
    # the next process finishes the job over whatever the crash left
    log = IntentLog(path)
    await log.compact(settled_by(SETTLED))
    assert set(snapshot(path)) == unsettled and not log.tmp.exists()


# --- in the driver, with the journal as the judge ---------------------------------------
@pytest.mark.anyio
async def test_the_first_call_of_a_process_compacts(reg: SimRegister, tmp_path: Path) -> None:
    await reg.open_shift(CASHIER, key="o1")
    await reg.receipt(receipt(100), key="r1")
    reg.sim.drop_answer_to = c.CLOSE_V2
    with pytest.raises(ConnectionError):
        await reg.receipt(receipt(200), key="r2")  # unknown: must survive
    await reg.stop_link()
    fresh = ShtrihRegister(reg.cfg, tmp_path / "state", settled=settled_by({"o1", "r1"}))
    try:
        found = await fresh.lookup("r2")
        assert found is not None and found.total == 200
        assert fresh.intents.keys() == ["r2"]
        assert IntentLog(fresh.intents.path).keys() == ["r2"]
    finally:
        await fresh.stop()


@pytest.mark.anyio
async def test_journal_settled(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    await store.prepare()
    try:
        journal = Journal(store, now=lambda: datetime.now(UTC))

        async def run(key: str, call: Callable[[], Awaitable[int]]) -> None:
            await journal.run(key, component="shtrih-test", concern="fiscal", kind="receipt",
                              site="s1", station=None, request={"k": key},
                              call=call, lookup=None, result_type=int)

        async def ok() -> int:
            return 1

        async def refused() -> int:
            raise UserError("no")

        async def lost() -> int:
            raise ConnectionError("link broke after the command")

        await run("done", ok)
        with pytest.raises(UserError):
            await run("failed", refused)
        with pytest.raises(Exception, match="unknown"):
            await run("unknown", lost)
        settled = journal_settled(journal)
        assert [await settled(k) for k in ("done", "failed", "unknown", "never")] == [
            True, True, False, False]
    finally:
        await store.close()
