"""A crash between send and answer: a client process posts a receipt and is killed (SIGKILL)
before the answer; the register executes it anyway. After the restart the journal's
``unknown`` row is reconciled by ``lookup`` and the emulator holds exactly ONE receipt."""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from kassa.journal import DONE, Journal
from kassa.model import Cashier, FiscalDocument
from kassa.store import Store
from kassa.testing.contracts import sample_receipt
from kassa_atol.register import AtolRegister
from kassa_atol.settings import RegisterSettings
from kassa_atol.sim import AtolSimulator

pytestmark = pytest.mark.anyio

CLIENT = """
import sys, anyio
from datetime import UTC, datetime
from kassa.journal import Journal
from kassa.model import (FiscalDocument, Operation, PaymentKind, Receipt, ReceiptLine,
                         ReceiptPayment, TaxSystem, VatRate)
from kassa.store import Store
from kassa_atol.register import AtolRegister
from kassa_atol.settings import RegisterSettings

def sample_receipt():  # kassa.testing's, without importing pytest (seconds on a busy box)
    return Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN,
                   lines=[ReceiptLine(name="Чай", price=15000, quantity=1, total=15000,
                                      vat=VatRate.VAT22)],
                   payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=15000)],
                   total=15000, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))

async def main(url, db):
    store = Store(f"sqlite+aiosqlite:///{db}")
    await store.prepare()
    journal = Journal(store, now=lambda: datetime.now(UTC))
    reg = AtolRegister("atol-r1", RegisterSettings(name="atol-r1", url=url, poll_interval=0.01))
    r = sample_receipt()
    print("sending", flush=True)
    key = "sale:1:receipt"
    await journal.run(key, component="atol-r1", concern="fiscal", kind="receipt", site="r1",
                      station=None, request=r, call=lambda: reg.receipt(r, key),
                      lookup=reg.lookup, result_type=FiscalDocument)
    print("answered", flush=True)  # never reached: killed first

anyio.run(main, sys.argv[1], sys.argv[2])
"""


async def journal_at(db: Path) -> tuple[Store, Journal]:
    store = Store(f"sqlite+aiosqlite:///{db}")
    await store.prepare()
    return store, Journal(store, now=lambda: datetime.now(UTC))


async def test_killed_client_is_reconciled_to_one_receipt(tmp_path: Path) -> None:
    sim = AtolSimulator("r1", delay=0.6)  # the register is slow: the kill lands first
    await sim.start()
    db = tmp_path / "kassa.db"
    reg = AtolRegister("atol-r1", RegisterSettings(name="atol-r1", url=sim.url,
                                                   poll_interval=0.01))
    try:
        await reg.open_shift(Cashier(name="Иванова"), key="open")
        proc = await anyio.open_process([sys.executable, "-c", CLIENT, sim.url, str(db)],
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            with anyio.fail_after(60):
                while True:
                    if sim.web.received >= 2:  # the receipt's POST is stored: it was sent
                        break
                    assert proc.returncode is None, "the client died before sending"
                    await anyio.sleep(0.01)
            assert sim.effects() == 0, "killed before the register answered"
            proc.send_signal(signal.SIGKILL)
        finally:
            with anyio.fail_after(10):
                await proc.wait()
            await proc.aclose()
        assert proc.returncode == -signal.SIGKILL
        with anyio.fail_after(5):
            while True:  # the register executes it anyway
                if sim.effects() >= 1:
                    break
                await anyio.sleep(0.02)

        store, journal = await journal_at(db)
        try:
            unknown = await journal.recover()
            assert [e.key for e in unknown] == ["sale:1:receipt"]
            counts = await journal.reconcile_all({"atol-r1": reg.lookup})
            assert counts[DONE] == 1
            entry = await journal.entry("sale:1:receipt")
            assert entry is not None and entry.status == DONE
            r = sample_receipt()
            doc = await journal.run("sale:1:receipt", component="atol-r1", concern="fiscal",
                                    kind="receipt", site="r1", station=None, request=r,
                                    call=lambda: reg.receipt(r, "sale:1:receipt"),
                                    lookup=reg.lookup, result_type=FiscalDocument)
            assert doc.total == 15000 and doc.number == 2
        finally:
            await store.close()
        assert sim.effects() == 1, "exactly ONE fiscal receipt in the emulator"
        assert len(sim.kkt.fiscal_documents("sell")) == 1
    finally:
        await reg.stop()
        await sim.stop()
