"""Receipt arithmetic: the emulator (the driver's checks) and the core's ``validate`` accept
and refuse the same receipts (price x quantity within a kopeck, total = the lines, payments
cover it and only cash gives change)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from kassa.model import (
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa.model.fiscal_rules import line_total, problems
from kassa_atol import tasks
from kassa_atol.sim import checks

ARITHMETIC = {"line_total", "total_not_lines", "underpaid", "change_not_cash"}
AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@st.composite
def receipts(draw: st.DrawFn) -> Receipt:
    """Mostly near-valid receipts: lines off by 0-2 kopecks, totals off by a kopeck or a
    ruble, payments exact, split with cash change, or arbitrary."""
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        price = draw(st.integers(0, 2_000_000))
        qty = Decimal(draw(st.integers(1, 20_000))) / Decimal(draw(st.sampled_from([1, 10, 1000])))
        off = draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, -1, 2, -2]))
        lines.append(ReceiptLine(name="Товар", price=price, quantity=qty,
                                 total=max(0, line_total(price, qty) + off),
                                 vat=draw(st.sampled_from([VatRate.VAT22, VatRate.VAT10,
                                                           VatRate.NONE]))))
    total = max(0, sum(ln.total for ln in lines)
                + draw(st.sampled_from([0, 0, 0, 0, 0, 0, -1, 1, 100])))
    mode = draw(st.sampled_from(["exact", "split", "random"]))
    card = draw(st.sampled_from([PaymentKind.ELECTRONIC, PaymentKind.PREPAID]))
    if mode == "exact":
        pays = [ReceiptPayment(kind=draw(st.sampled_from([PaymentKind.CASH, card])),
                               amount=max(1, total))]
    elif mode == "split":
        part = draw(st.integers(0, total + 2))
        cash = total - part + draw(st.sampled_from([0, 0, 1, -1, 5000]))
        pays = [ReceiptPayment(kind=k, amount=a) for k, a in ((card, part),
                                                              (PaymentKind.CASH, cash)) if a > 0]
    else:
        pays = [ReceiptPayment(kind=draw(st.sampled_from([PaymentKind.CASH, card])),
                               amount=draw(st.integers(1, 4_000_000)))
                for _ in range(draw(st.integers(1, 2)))]
    pays = pays or [ReceiptPayment(kind=PaymentKind.CASH, amount=max(1, total))]
    return Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN, lines=lines,
                   payments=pays, total=total, issued_at=AT)


@settings(max_examples=150, deadline=None)
@given(receipts())
def test_emulator_and_core_agree_on_arithmetic(r: Receipt) -> None:
    core = [p.code for p in problems(r) if p.code in ARITHMETIC]
    try:
        checks.receipt(tasks.receipt_task(r), today=date(2026, 3, 2), vat22_from=date(2026, 1, 1))
    except checks.Refusal as refusal:
        assert core, f"the emulator refused ({refusal}) what the core accepts"
    else:
        assert not core, f"the emulator accepted what the core refuses: {core}"
