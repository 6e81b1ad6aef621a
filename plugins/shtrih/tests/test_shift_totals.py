"""Shift totals from the register's own cash (0x1A) and operational (0x1B) registers: the
emulator moves them only when a receipt closes (count, department sums, payment types net of
change), clears them at Z, and the driver reads them as ``ShiftTotals``; the raw command bytes
are the layouts the vendor's driver reads (one register byte in, 6 / 2 bytes back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
from kassa_shtrih import commands as c
from kassa_shtrih.sim.harness import SimRegister

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def tcp(tmp_path: Path) -> AsyncIterator[SimRegister]:
    r = SimRegister(tmp_path / "state", "tcp")
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


def receipt(total: int, *pay: tuple[PaymentKind, int], op: Operation = Operation.SELL
            ) -> Receipt:
    return Receipt(operation=op, taxation=TaxSystem.OSN,
                   lines=[ReceiptLine(name="Вода 19 л", price=total, quantity=1, total=total,
                                      vat=VatRate.VAT22)],
                   payments=[ReceiptPayment(kind=k, amount=a) for k, a in pay],
                   total=total, issued_at=AT)


async def test_registers_follow_the_closed_receipts(tcp: SimRegister) -> None:
    assert isinstance(tcp, ShiftTotalsReader)
    cashier = Cashier(name="Иванова")
    await tcp.open_shift(cashier, key="open")
    await tcp.receipt(receipt(50000, (PaymentKind.CASH, 100000)), key="s1")  # 500 change
    await tcp.receipt(receipt(30000, (PaymentKind.ELECTRONIC, 30000)), key="s2")
    await tcp.receipt(receipt(20000, (PaymentKind.CASH, 5000),
                              (PaymentKind.ELECTRONIC, 15000)), key="s3")
    await tcp.receipt(receipt(30000, (PaymentKind.ELECTRONIC, 30000),
                              op=Operation.SELL_REFUND), key="r1")
    await tcp.cash_in(10000, key="in1")
    with pytest.raises(UserError):  # paid less than due: refused, no register moves
        await tcp.receipt(receipt(9900, (PaymentKind.CASH, 9000)), key="bad")
    t = await tcp.shift_totals()
    assert t.shift == 1
    sell = t.of(Operation.SELL)
    assert sell is not None
    assert (sell.count, sell.total, sell.cash, sell.electronic) == (3, 100000, 55000, 45000)
    assert sell.prepaid is None  # no register for FF45 slots 14..16
    refund = t.of(Operation.SELL_REFUND)
    assert refund is not None and (refund.count, refund.total, refund.electronic) == \
        (1, 30000, 30000)
    assert t.of(Operation.BUY) is not None and t.of(Operation.BUY).count == 0  # type: ignore
    assert (t.cash_in, t.cash_out, t.cash_in_drawer) == (10000, 0, 65000)
    assert tcp.sim.fr.cash == 65000

    await tcp.close_shift(cashier, key="z")  # 0x41 clears the shift's registers
    after_z = await tcp.shift_totals()
    assert after_z.of(Operation.SELL).count == 0  # type: ignore[union-attr]
    assert after_z.cash_in_drawer == 65000  # the drawer is not a shift register


def test_register_commands_on_the_wire() -> None:
    from kassa_shtrih.sim.fr import Register

    fr = Register(clock=lambda: datetime(2026, 3, 2, 12, 0))
    fr.add(c.payment_register(1, 0), 123456)
    fr.count(c.RECEIPT_COUNTS + 2)
    ans = c.answer(fr.execute(c.request(c.CASH_REGISTER, 1, bytes([193]))))
    assert (ans.code, ans.error, len(ans.data)) == (0x1A, 0, 7)
    assert c.cash_register(ans.data) == 123456
    ans = c.answer(fr.execute(c.request(c.OPERATION_REGISTER, 1, bytes([146]))))
    assert (ans.code, ans.error, len(ans.data)) == (0x1B, 0, 3)
    assert c.operation_register(ans.data) == 1
    assert c.answer(fr.execute(c.request(c.CASH_REGISTER, 99, bytes([193])))).error == 0x4F
