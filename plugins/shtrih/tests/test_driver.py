"""The driver against the emulator over TCP and the pty (the ``reg`` fixture runs each test
on both): FFD 1.2 receipts with tags and marking, shifts, cash, X, text, status, and what a
person reads when something is wrong (one sentence)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    Buyer,
    Cashier,
    DocumentKind,
    Operation,
    PaymentKind,
    PaymentObject,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa.model.fiscal import ReceiptError
from kassa_shtrih import commands as c
from kassa_shtrih.sim.harness import SimRegister

pytestmark = pytest.mark.anyio
CASHIER = Cashier(name="Иванова", inn="500100732259")
KM = "010463003407001221SxMGorvNuq6Wk91fx2A92sGw=="


def receipt(total: int = 15000, *, paid: int | None = None, vat: VatRate = VatRate.VAT22,
            **kw: Any) -> Receipt:
    return Receipt(operation=Operation.SELL, taxation=TaxSystem.USN_INCOME,
                   lines=[ReceiptLine(name="Чай", price=total, quantity=1, total=total, vat=vat)],
                   payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=paid or total)],
                   total=total, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC), **kw)


async def test_receipt_carries_items_tags_and_payments(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    r = Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN,
                lines=[ReceiptLine(name="Кофе", price=18000, quantity=2, total=36000,
                                   vat=VatRate.VAT22),
                       ReceiptLine(name="Сахар", price=999, quantity="1.5", total=1499,
                                   vat=VatRate.VAT10),
                       ReceiptLine(name="Вода", price=5000, quantity=1, total=5000,
                                   vat=VatRate.VAT22, marking_code=KM,
                                   payment_object=PaymentObject.COMMODITY_WITH_MARKING)],
                payments=[ReceiptPayment(kind=PaymentKind.ELECTRONIC, amount=30000),
                          ReceiptPayment(kind=PaymentKind.CASH, amount=20000)],
                total=42499, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
                cashier=CASHIER, customer_contact="+79990001122",
                buyer=Buyer(name="ООО Ромашка", inn="7707083893"))
    doc = await reg.receipt(r, key="r1")
    assert doc.kind == DocumentKind.RECEIPT and doc.total == 42499 and doc.number == 2
    assert doc.receipt_number == 1 and doc.shift == 1 and doc.fn == "9999078900000961"
    assert doc.detail["change"] == 7501 and len(doc.fiscal_sign or "") == 10
    assert doc.qr and f"i=2&fp={int(doc.fiscal_sign or 0)}" in doc.qr
    stored = reg.sim.fr.documents[2]
    assert [i["tax_rate"] for i in stored.items] == [0x01, 0x02, 0x01]
    assert stored.items[2]["2000"] == KM and stored.items[2]["1212"] == 33
    assert dict(stored.tlv)[1008] == b"+79990001122"
    assert dict(stored.tlv)[1021] == "Иванова".encode("cp1251")
    assert dict(stored.tlv)[1228] == b"7707083893"
    assert reg.sim.fr.cash == 20000 - 7501


async def test_shift_cash_x_text_and_status(reg: SimRegister) -> None:
    st = await reg.status()
    assert not st.shift_open and st.fn == "9999078900000961" and st.paper_ok
    assert st.fn_expires_at is not None and st.fn_expires_at.year == 2028
    opened = await reg.open_shift(CASHIER, key="o1")
    assert opened.kind == DocumentKind.SHIFT_OPEN and opened.shift == 1
    cin = await reg.cash_in(50000, key="ci")
    cout = await reg.cash_out(20000, key="co")
    assert (cin.total, cout.total) == (50000, 20000) and reg.sim.fr.cash == 30000
    x = await reg.x_report(key="x1")
    assert x.kind == DocumentKind.X_REPORT
    await reg.print_text(["Спасибо за покупку!", "x" * 50], key="t1")
    assert "Спасибо за покупку!" in reg.sim.fr.printed and "x" * 10 in reg.sim.fr.printed
    st = await reg.status()
    assert st.shift_open and st.shift == 1 and st.unsent_documents == 1
    z = await reg.close_shift(CASHIER, key="z1")
    assert z.kind == DocumentKind.SHIFT_CLOSE and z.number == 2
    assert not (await reg.status()).shift_open


async def test_marking_check(reg: SimRegister) -> None:
    ok = await reg.check_marking(KM, 1)
    assert ok.valid and ok.item_info == 0x0F
    reg.sim.control("marking decline")
    bad = await reg.check_marking(KM, 1)
    assert not bad.valid and bad.message


async def test_a_declined_marking_code_cancels_the_receipt(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.control("marking decline")
    r = Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN,
                lines=[ReceiptLine(name="Хлеб", price=5000, quantity=1, total=5000,
                                   vat=VatRate.VAT10),
                       ReceiptLine(name="Вода", price=5000, quantity=1, total=5000,
                                   vat=VatRate.VAT22, marking_code=KM,
                                   payment_object=PaymentObject.COMMODITY_WITH_MARKING)],
                payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=10000)],
                total=10000, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    with pytest.raises(UserError, match="Строка 2, тег 2000"):
        await reg.receipt(r, key="r1")
    assert reg.sim.fr.doc is None and not reg.sim.fr.receipts(), "the open receipt is cancelled"


async def test_a_receipt_that_does_not_add_up_is_one_sentence(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    with pytest.raises(UserError) as err:
        await reg.receipt(receipt(15000, paid=10000), key="r1")  # core validation bypassed
    text = str(err.value)
    assert text.count(".") == 1 and "меньше итога" in text and "0x45" in text
    english = err.value.text("en")
    assert english.startswith("Register “shtrih-test” refused (receipt)")
    assert not reg.sim.fr.receipts() and reg.sim.fr.doc is None, "the open receipt was cancelled"


async def test_closed_and_expired_shift(reg: SimRegister) -> None:
    with pytest.raises(ReceiptError) as err:
        await reg.receipt(receipt(), key="r1")
    assert err.value.code == "shift_closed" and "откройте смену" in err.value.text("ru")
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.advance(24 * 3600 + 60)
    with pytest.raises(ReceiptError) as err:
        await reg.receipt(receipt(), key="r2")
    assert err.value.code == "shift_expired"
    assert (await reg.status()).shift_expired


async def test_vat_rate_the_firmware_lacks_fails_before_anything_is_sent(reg: SimRegister
                                                                        ) -> None:
    await reg.open_shift(CASHIER, key="o1")
    frames = len(reg.sim.wire)
    with pytest.raises(UserError, match="1199"):
        await reg.receipt(receipt(vat=VatRate.VAT5), key="r1")
    assert len(reg.sim.wire) == frames


async def test_paper(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.control("paper out")
    with pytest.raises(RetryLater, match="чековой ленты"):
        await reg.receipt(receipt(), key="r1")
    reg.sim.control("paper in")
    reg.sim.control("paper runs-out")
    doc = await reg.receipt(receipt(), key="r1")
    assert doc.detail.get("not_printed") is True, "made in the FN, the print is unfinished"
    reg.sim.control("paper in")  # submode 3: the next call sends 0xB0 first
    again = await reg.receipt(receipt(), key="r2")
    assert "not_printed" not in again.detail
    assert "ПРОДОЛЖЕНИЕ ПЕЧАТИ" in reg.sim.fr.printed


async def test_no_fn_is_permanent_and_silence_is_retry_later(reg: SimRegister) -> None:
    reg.sim.control("fn off")
    with pytest.raises(Permanent, match="ФН отсутствует"):
        await reg.open_shift(CASHIER, key="o1")
    assert not (await reg.status()).ready
    reg.sim.control("fn on")
    reg.sim.control("link off")
    reg.cfg.answer_timeout = 0.5
    await reg.stop_link()  # the next connection takes the shorter wait
    with pytest.raises(RetryLater, match="не отвечает"):
        await reg.open_shift(CASHIER, key="o1")
    reg.sim.control("link on")
    assert (await reg.open_shift(CASHIER, key="o1")).shift == 1


async def test_line_errors_are_retransmitted_not_command_errors(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.nak_frames = 2  # the frame is NAKed twice, then taken
    reg.sim.corrupt_answers = 1  # one answer arrives with a bad LRC: NAK + ENQ gets it again
    doc = await reg.receipt(receipt(), key="r1")
    assert doc.total == 15000 and len(reg.sim.fr.receipts()) == 1


async def test_disconnect_mid_receipt_is_cancelled_by_lookup(reg: SimRegister) -> None:
    """The link drops after the item went in: the document stays open in the register
    (mode 8). lookup cancels it (never fiscalised) and says "nothing happened"."""
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.drop_answer_to = c.OPERATION_V2
    with pytest.raises(ConnectionError):
        await reg.receipt(receipt(), key="r1")
    assert reg.sim.fr.doc is not None
    assert await reg.lookup("r1") is None
    assert reg.sim.fr.doc is None and not reg.sim.fr.receipts()


async def test_crash_between_send_and_answer_then_restart(reg: SimRegister, tmp_path: Path
                                                          ) -> None:
    """FF45 is done but its answer is lost and the process dies. A new driver process with
    the same reconcile log finds the document in the FN by number (FF0A): exactly one."""
    from kassa_shtrih.device import ShtrihRegister

    await reg.open_shift(CASHIER, key="o1")
    await reg.receipt(receipt(9900), key="r0")  # another receipt with another sum
    reg.sim.drop_answer_to = c.CLOSE_V2
    with pytest.raises(ConnectionError):
        await reg.receipt(receipt(), key="r1")
    await reg.stop_link()
    fresh = ShtrihRegister(reg.cfg, tmp_path / "state")
    try:
        found = await fresh.lookup("r1")
        assert found is not None and found.total == 15000 and found.number == 3
        assert found.detail["reconciled"] is True
        assert await fresh.lookup("never") is None
        assert len(reg.sim.fr.receipts()) == 2
    finally:
        await fresh.stop()


async def test_ofd_backlog_grows_and_blocks_after_30_days(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    await reg.receipt(receipt(), key="r1")
    st = await reg.status()
    assert st.unsent_documents == 2 and st.oldest_unsent_at is not None
    await reg.close_shift(CASHIER, key="z1")
    reg.sim.advance(31 * 24 * 3600)
    with pytest.raises(Permanent, match="0x15"):
        await reg.open_shift(CASHIER, key="o2")


async def test_correction_receipt(reg: SimRegister) -> None:
    from datetime import date

    from kassa.model import CorrectionReceipt, CorrectionType

    await reg.open_shift(CASHIER, key="o1")
    corr = CorrectionReceipt(correction_type=CorrectionType.SELF, basis_date=date(2026, 3, 1),
                             operation=Operation.SELL, taxation=TaxSystem.OSN,
                             payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=5000)],
                             total=5000, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    doc = await reg.correction(corr, key="c1")
    assert doc.kind == DocumentKind.CORRECTION and doc.total == 5000 and doc.number == 2


async def test_lookup_cannot_tell_two_fitting_documents_apart(reg: SimRegister) -> None:
    """Another program printed the same sum meanwhile: lookup names both, prints nothing."""
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.drop_answer_to = c.CLOSE_V2
    with pytest.raises(ConnectionError):
        await reg.receipt(receipt(), key="r1")
    fr = reg.sim.fr
    fr.execute(c.operation_v2(30, op=1, qty=Decimal(1), price=15000, total=15000,
                              tax_rate=1, dept=1, method=4, obj=1, name="Чай"))
    fr.execute(c.close_v2(30, [15000] + [0] * 15, tax_system=2))
    with pytest.raises(RetryLater, match="№ 2, 3") as err:
        await reg.lookup("r1")
    assert "documents 2, 3" in err.value.text("en")


async def test_lookup_of_cash_and_text_without_an_answer(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.drop_answer_to = c.CASH_IN
    with pytest.raises(ConnectionError):
        await reg.cash_in(10000, key="ci")
    found = await reg.lookup("ci")
    assert found is not None and found.total == 10000 and found.detail["reconciled"]
    assert reg.sim.fr.cash == 10000
    reg.sim.drop_answer_to = c.PRINT_LINE
    with pytest.raises(ConnectionError):
        await reg.print_text(["Спасибо"], key="t1")
    with pytest.raises(RetryLater, match="проверьте ленту"):
        await reg.lookup("t1")
