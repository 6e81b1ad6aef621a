"""``getShiftTotals`` end to end: the emulator's counters come from the receipts its FN really
made (by 1054 and payment kind, cash net of change), a refused receipt moves nothing, a new
shift starts from zero, and the driver reads them as ``ShiftTotals`` in kopecks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from kassa.errors import UserError
from kassa.hookspecs.fiscal import ShiftTotalsReader
from kassa.model import (
    Cashier,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa_atol import tasks
from kassa_atol.register import AtolRegister
from kassa_atol.sim import AtolSimulator

from .conftest import settings_for

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def receipt(total: int, *pay: tuple[PaymentKind, int], op: Operation = Operation.SELL
            ) -> Receipt:
    return Receipt(operation=op, taxation=TaxSystem.OSN,
                   lines=[ReceiptLine(name="Вода 19 л", price=total, quantity=1, total=total,
                                      vat=VatRate.VAT22)],
                   payments=[ReceiptPayment(kind=k, amount=a) for k, a in pay],
                   total=total, issued_at=AT)


async def test_counters_follow_what_the_fn_fiscalised(register: AtolRegister,
                                                      sim: AtolSimulator) -> None:
    assert isinstance(register, ShiftTotalsReader)
    await register.open_shift(Cashier(name="Иванова"), key="open")
    await register.receipt(receipt(50000, (PaymentKind.CASH, 100000)), key="s1")  # 500 change
    await register.receipt(receipt(30000, (PaymentKind.ELECTRONIC, 30000)), key="s2")
    await register.receipt(receipt(20000, (PaymentKind.CASH, 5000),
                                   (PaymentKind.ELECTRONIC, 15000)), key="s3")
    await register.receipt(receipt(30000, (PaymentKind.ELECTRONIC, 30000),
                                   op=Operation.SELL_REFUND), key="r1")
    await register.cash_in(10000, key="in1")
    with pytest.raises(UserError):  # paid less than due: refused, no counter moves
        await register.receipt(receipt(9900, (PaymentKind.CASH, 9000)), key="bad")
    t = await register.shift_totals()
    assert t.shift == 1
    sell = t.of(Operation.SELL)
    assert sell is not None
    assert (sell.count, sell.total, sell.cash, sell.electronic) == (3, 100000, 55000, 45000)
    assert sell.prepaid == sell.credit == sell.other == 0
    refund = t.of(Operation.SELL_REFUND)
    assert refund is not None and (refund.count, refund.total, refund.electronic) == \
        (1, 30000, 30000)
    buy = t.of(Operation.BUY)
    assert buy is not None and buy.count == 0
    assert (t.cash_in, t.cash_out, t.cash_in_drawer) == (10000, 0, 65000)

    await register.close_shift(Cashier(name="Иванова"), key="z")
    assert (await register.shift_totals()).of(Operation.SELL) == sell  # the last shift's
    await register.open_shift(Cashier(name="Иванова"), key="open2")
    fresh = await register.shift_totals()
    assert fresh.shift == 2 and fresh.of(Operation.SELL).count == 0  # type: ignore[union-attr]
    assert sim.kkt.receipts()  # the counters were read, not kept apart: the FN has them


def test_an_answer_without_a_type_or_kind_leaves_it_unreported() -> None:
    t = tasks.shift_totals({"shiftTotals": {"shiftNumber": 7, "receipts": {
        "sell": {"count": 2, "sum": 150.5, "payments": {"cash": 100.5}}}}})
    sell = t.of(Operation.SELL)
    assert sell is not None and (sell.total, sell.cash, sell.electronic) == (15050, 10050, None)
    assert t.of(Operation.BUY) is None and t.cash_in is None and t.shift == 7
    with pytest.raises(ValueError):
        tasks.shift_totals({})


async def test_the_counters_survive_a_restart_of_the_emulator(tmp_path: Path) -> None:
    """They are read from the FN's documents, which the state file keeps."""
    path = tmp_path / "atol.json"
    sim = AtolSimulator("r1", state_file=path)
    await sim.start()
    try:
        reg = AtolRegister(sim.register, settings_for(sim))
        await reg.open_shift(Cashier(name="Иванова"), key="open")
        await reg.receipt(receipt(30000, (PaymentKind.ELECTRONIC, 30000)), key="s1")
        await reg.cash_in(5000, key="in1")
        before = await reg.shift_totals()
        await reg.stop()
        await sim.stop()
        sim = AtolSimulator("r1", state_file=path, port=sim.port)
        await sim.start()
        reg = AtolRegister(sim.register, settings_for(sim))
        assert await reg.shift_totals() == before
        sale = before.of(Operation.SELL)
        assert before.cash_in == 5000 and sale is not None and sale.electronic == 30000
        await reg.stop()
    finally:
        await sim.stop()
