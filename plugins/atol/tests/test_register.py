"""``AtolRegister`` against the emulator: the receipt mapped to a task and back, and every row
of the error table in ``kassa.hookspecs.fiscal`` as this register meets it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    DocumentKind,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    ReceiptQr,
    TaxSystem,
    VatRate,
)
from kassa.model.ffd import CorrectionType, PaymentObject
from kassa.model.fiscal import ReceiptError
from kassa.secret import Secret
from kassa.testing.contracts import sample_receipt
from kassa_atol import tasks
from kassa_atol.register import AtolRegister
from kassa_atol.settings import RegisterSettings
from kassa_atol.sim import AtolSimulator
from kassa_atol.webserver import request_uuid

pytestmark = pytest.mark.anyio
CASHIER = Cashier(name="Иванова", inn="500100732259")


def mixed() -> Receipt:
    return Receipt(
        operation=Operation.SELL, taxation=TaxSystem.USN_INCOME,
        lines=[ReceiptLine(name="Капучино", price=25050, quantity=2, total=50100,
                           vat=VatRate.VAT22),
               ReceiptLine(name="Сыр", price=99900, quantity=Decimal("0.347"), total=34665,
                           vat=VatRate.VAT10)],
        payments=[ReceiptPayment(kind=PaymentKind.ELECTRONIC, amount=50000),
                  ReceiptPayment(kind=PaymentKind.CASH, amount=40000)],
        total=84765, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC), cashier=CASHIER,
        customer_contact="guest@example.ru")


async def test_receipt_maps_to_the_task_and_back(sim: AtolSimulator,
                                                 register: AtolRegister) -> None:
    task = tasks.receipt_task(mixed())
    assert task["type"] == "sell" and task["taxationType"] == "usnIncome"
    assert task["items"][1] == {"type": "position", "name": "Сыр", "price": 999.0,
                                "quantity": 0.347, "amount": 346.65, "measurementUnit": 0,
                                "paymentMethod": "fullPayment", "paymentObject": "commodity",
                                "tax": {"type": "vat10"}}
    assert task["payments"] == [{"type": "electronically", "sum": 500.0},
                                {"type": "cash", "sum": 400.0}]
    assert task["clientInfo"] == {"emailOrPhone": "guest@example.ru"}
    assert task["operator"] == {"name": "Иванова", "vatin": "500100732259"}
    await register.open_shift(CASHIER, key="o")
    doc = await register.receipt(mixed(), key="s1")
    assert (doc.kind, doc.total, doc.operation, doc.shift, doc.receipt_number) == \
        (DocumentKind.RECEIPT, 84765, Operation.SELL, 1, 1)
    assert doc.fn == "9999078900000961" and doc.register_number == "0000000001002292"
    assert doc.qr is not None
    qr = ReceiptQr.parse(doc.qr, doc.issued_at.tzinfo)  # type: ignore[arg-type]
    assert (qr.total, qr.number, int(qr.fiscal_sign)) == (84765, doc.number,
                                                           int(doc.fiscal_sign or 0))
    assert sim.kkt.cash == Decimal("347.65"), "cash in the drawer net of change"


async def test_refund_buy_and_correction(sim: AtolSimulator, register: AtolRegister) -> None:
    await register.open_shift(CASHIER, key="o")
    r = sample_receipt()
    refund = Receipt(operation=Operation.SELL_REFUND, taxation=r.taxation, lines=r.lines,
                     payments=r.payments, total=r.total, issued_at=r.issued_at)
    assert (await register.receipt(refund, key="ret")).operation is Operation.SELL_REFUND
    corr = CorrectionReceipt(correction_type=CorrectionType.INSTRUCTION,
                             basis_date=date(2026, 2, 1), basis_number="ПР-17",
                             operation=Operation.BUY, taxation=TaxSystem.OSN, lines=r.lines,
                             payments=r.payments, total=r.total, issued_at=r.issued_at)
    assert tasks.correction_task(corr)["correctionBaseDate"] == "2026.02.01"
    doc = await register.correction(corr, key="cor")
    assert (doc.kind, doc.operation) == (DocumentKind.CORRECTION, Operation.BUY)
    assert [d.form for d in sim.kkt.receipts()] == ["sellReturn", "buyCorrection"]
    found = await register.lookup("cor")
    assert found is not None and found.kind is DocumentKind.CORRECTION


async def test_the_uuid_is_derived_from_the_key(sim: AtolSimulator,
                                                register: AtolRegister) -> None:
    assert request_uuid("k", "sell") == request_uuid("k", "sell") != request_uuid("k2", "sell")
    await register.open_shift(CASHIER, key="o")
    await register.receipt(sample_receipt(), key="k")
    assert request_uuid("k", "sell") in sim.web.requests


async def test_shift_closed_and_expired_are_user_errors(sim: AtolSimulator,
                                                        register: AtolRegister) -> None:
    with pytest.raises(ReceiptError) as closed:
        await register.receipt(sample_receipt(), key="a")
    assert closed.value.code == "shift_closed"
    assert closed.value.text("ru") == "Смена закрыта: откройте смену."
    await register.open_shift(CASHIER, key="o")
    sim.web.offset = timedelta(hours=25)
    with pytest.raises(ReceiptError) as expired:
        await register.receipt(sample_receipt(), key="b")
    assert expired.value.code == "shift_expired"
    st = await register.status()
    assert st.shift_open and st.shift_expired and st.shift == 1
    await register.close_shift(CASHIER, key="z")
    assert not (await register.status()).shift_open
    assert sim.effects() == 0


async def test_paper_out_is_retry_later_then_the_same_key_prints_once(
        sim: AtolSimulator, register: AtolRegister) -> None:
    await register.open_shift(CASHIER, key="o")
    sim.faults.paper = False
    with pytest.raises(RetryLater, match="Нет бумаги"):
        await register.receipt(sample_receipt(), key="p")
    assert (await register.status()).paper_ok is False
    assert await register.lookup("p") is None, "the failed uuid made nothing"
    sim.faults.paper = True
    doc = await register.receipt(sample_receipt(), key="p")  # the journal's retry
    assert doc.total == 15000 and sim.effects() == 1
    assert request_uuid("p", "sell", 1) in sim.web.requests, "resent under uuid#1"
    found = await register.lookup("p")
    assert found is not None and found.number == doc.number


async def test_paper_out_after_the_fn_made_it(sim: AtolSimulator,
                                              register: AtolRegister) -> None:
    await register.open_shift(CASHIER, key="o")
    sim.faults.paper_after = True
    doc = await register.receipt(sample_receipt(), key="np")
    assert doc.detail["not_printed"] is True and doc.number is not None
    sim.faults.paper = True
    await register.continue_print("np:continue")
    assert (await register.status()).paper_ok


async def test_no_fn_and_full_fn_are_permanent(sim: AtolSimulator,
                                               register: AtolRegister) -> None:
    await register.open_shift(CASHIER, key="o")
    sim.faults.fn_present = False
    with pytest.raises(Permanent, match="ФН не найден"):
        await register.receipt(sample_receipt(), key="f1")
    sim.faults.fn_present, sim.faults.fn_full = True, True
    with pytest.raises(Permanent, match="Архив ФН переполнен"):
        await register.receipt(sample_receipt(), key="f2")
    st = await register.status()
    assert st.fn_full and not st.ready


async def test_a_rule_the_register_checks_is_one_sentence(sim: AtolSimulator,
                                                          register: AtolRegister) -> None:
    await register.open_shift(CASHIER, key="o")
    r = sample_receipt()
    old = Receipt(operation=r.operation, taxation=r.taxation, payments=r.payments,
                  total=r.total, issued_at=r.issued_at,
                  lines=[ReceiptLine(name="Чай", price=15000, quantity=1, total=15000,
                                     vat=VatRate.VAT20)])
    with pytest.raises(UserError) as err:
        await register.receipt(old, key="v")
    text = str(err.value)
    assert text.startswith("ККТ atol-r1 отказала: Недопустимый номер ставки налога")
    assert text.endswith("(ошибка драйвера 144).") and text.count(".") == 1
    assert "vat20" in sim.web.errors[-1], "the emulator keeps the detail for the tester"
    english = AtolRegister("atol-r1", register.settings, locale="en")
    try:
        with pytest.raises(UserError, match=r"^Register atol-r1 refused: .*driver error 144"):
            await english.receipt(old, key="v-en")
    finally:
        await english.stop()


async def test_cash_in_out_x_report_and_text(sim: AtolSimulator,
                                             register: AtolRegister) -> None:
    await register.open_shift(CASHIER, key="o")
    doc = await register.cash_in(50000, key="in")
    assert (doc.kind, doc.total, doc.detail["cash_in_drawer"]) == (DocumentKind.CASH_IN,
                                                                  50000, 50000)
    with pytest.raises(UserError, match="нет денег"):
        await register.cash_out(90000, key="out-big")
    assert (await register.cash_out(20000, key="out")).detail["cash_in_drawer"] == 30000
    assert (await register.x_report(key="x")).kind is DocumentKind.X_REPORT
    text = await register.print_text(["Стол 5", "Спасибо!"], key="t")
    assert text.kind is DocumentKind.TEXT and text.detail["lines"] == ["Стол 5", "Спасибо!"]
    forms = [d.form for d in sim.kkt.documents]
    assert forms == ["openShift", "cashIn", "cashOut", "reportX", "nonFiscal"]


async def test_status_reports_the_ofd_backlog(sim: AtolSimulator,
                                              register: AtolRegister) -> None:
    sim.faults.ofd_failing = True
    await register.open_shift(CASHIER, key="o")
    await register.receipt(sample_receipt(), key="s1")
    st = await register.status()
    assert st.unsent_documents == 2 and st.oldest_unsent_at is not None
    assert st.fn == "9999078900000961" and st.fn_expires_at is not None


async def test_marking_check_accepts_and_declines(sim: AtolSimulator,
                                                  register: AtolRegister) -> None:
    code = "010460043993125621JgXJ5.T\x1d91FFD0\x1d92testsignature"
    ok = await register.check_marking(code, 1)
    assert ok.valid and ok.item_info == 0b1111
    sim.faults.marking_declined = True
    no = await register.check_marking(code, 1)
    assert not no.valid and no.message
    assert sim.kkt.marking is not None and sim.kkt.marking["done"]


async def test_marked_goods_carry_the_code(sim: AtolSimulator, register: AtolRegister) -> None:
    line = ReceiptLine(name="Вода", price=9000, quantity=1, total=9000, vat=VatRate.VAT22,
                       payment_object=PaymentObject.COMMODITY_WITH_MARKING,
                       marking_code="0104600439931256215abc\x1d91EE06\x1d92xyz")
    r = Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN, lines=[line],
                payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=9000)], total=9000,
                issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert tasks.receipt_task(r)["items"][0]["imcParams"]["imcType"] == "auto"
    await register.open_shift(CASHIER, key="o")
    assert (await register.receipt(r, key="m")).total == 9000


async def test_web_server_down_is_retry_later() -> None:
    reg = AtolRegister("atol-x", RegisterSettings(name="atol-x", url="http://127.0.0.1:9",
                                                  connect_timeout=0.5))
    try:
        with pytest.raises(RetryLater, match="atol-x"):
            await reg.receipt(sample_receipt(), key="down")
    finally:
        await reg.stop()


async def test_wrong_login_is_permanent() -> None:
    sim = AtolSimulator(login="admin", password="right")
    await sim.start()
    try:
        bad = AtolRegister("atol-r1", RegisterSettings(name="atol-r1", url=sim.url,
                                                       login="admin"))
        with pytest.raises(Permanent, match="логин или пароль"):
            await bad.x_report(key="x")
        await bad.stop()
        frag = sim.fragment()["atol"]["registers"][0]
        good = AtolRegister("atol-r1", RegisterSettings(
            name="atol-r1", url=sim.url, login=frag["login"],
            password=Secret(frag["password"])))
        assert (await good.x_report(key="x")).kind is DocumentKind.X_REPORT
        await good.stop()
    finally:
        await sim.stop()


def test_a_shift_result_nested_or_flat_reads_the_same() -> None:
    """The driver's scripts nest a shift's fiscal params; ATOL-RPC types them flat."""
    fp = {"fiscalDocumentDateTime": "2026-03-02T09:00:00+03:00", "fiscalDocumentNumber": 7,
          "fiscalDocumentSign": "0012345678", "fnNumber": "9999078900000961",
          "registrationNumber": "0000000001002292", "shiftNumber": 3, "fnsUrl": "www.nalog.gov.ru"}
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    nested = tasks.document(DocumentKind.SHIFT_OPEN, {"fiscalParams": fp}, now=now)
    flat = tasks.document(DocumentKind.SHIFT_OPEN, {**fp, "warnings": {}}, now=now)
    assert nested == flat and nested.fiscal_sign == "0012345678" and nested.shift == 3


def test_a_task_error_is_read_flat_or_nested() -> None:
    from kassa_atol.webserver import failure

    assert failure({"status": "ready", "errorCode": 0, "errorDescription": "Ошибок нет"}) is None
    assert failure({"status": "ready", "error": {"code": 0, "description": ""}}) is None
    flat = failure({"status": "error", "errorCode": 44, "errorDescription": "Нет бумаги"})
    nested = failure({"status": "error", "error": {"code": 44, "description": "Нет бумаги"}})
    assert flat is not None and nested is not None
    assert (flat.code, flat.description) == (nested.code, nested.description) == (
        44, "Нет бумаги")
    assert isinstance(nested.error("atol-r1"), RetryLater)
