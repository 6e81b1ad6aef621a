"""The fiscal model: every receipt rule fails and passes, the QR string, VAT dates, codec."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kassa import codec
from kassa.errors import UserError
from kassa.model import (
    Buyer,
    Cashier,
    CorrectionReceipt,
    CorrectionType,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Measure,
    Operation,
    PaymentKind,
    PaymentObject,
    Receipt,
    ReceiptError,
    ReceiptLine,
    ReceiptPayment,
    ReceiptQr,
    TaxSystem,
    VatRate,
)
from kassa.model.fiscal import validate as validate_from_fiscal
from kassa.model.fiscal_rules import inn_valid, line_total, problems, validate

MSK = timezone(timedelta(hours=3))
WHEN = datetime(2026, 3, 2, 12, 30, tzinfo=MSK)
CASH, CARD = PaymentKind.CASH, PaymentKind.ELECTRONIC


def line(**kw: Any) -> ReceiptLine:
    base: dict[str, Any] = dict(name="Капучино", price=15000, quantity=2, total=30000,
                                vat=VatRate.VAT22)
    return ReceiptLine(**{**base, **kw})


def receipt(**kw: Any) -> Receipt:
    base: dict[str, Any] = dict(
        operation=Operation.SELL, taxation=TaxSystem.OSN, lines=[line()],
        payments=[ReceiptPayment(kind=CARD, amount=30000)], total=30000, issued_at=WHEN,
        cashier=Cashier(name="Иванова А.", inn="500100732259"))
    return Receipt(**{**base, **kw})


def correction(**kw: Any) -> CorrectionReceipt:
    base: dict[str, Any] = dict(
        correction_type=CorrectionType.SELF, basis_date=date(2026, 2, 27),
        operation=Operation.SELL, taxation=TaxSystem.OSN,
        payments=[ReceiptPayment(kind=CASH, amount=30000)], total=30000, issued_at=WHEN)
    return CorrectionReceipt(**{**base, **kw})


def codes(r: Receipt | CorrectionReceipt) -> list[tuple[str, int | None, int | None]]:
    return [(e.code, e.tag, e.line) for e in problems(r)]


def test_a_good_receipt_passes():
    r = receipt()
    validate(r)
    validate_from_fiscal(r)  # the same rules, reached from kassa.model.fiscal
    assert problems(r) == []


BAD_RECEIPTS = [
    # (what is wrong, the receipt, (code, tag, line))
    ("blank name", receipt(lines=[line(name="  ")]), ("name_length", 1030, 1)),
    ("name too long", receipt(lines=[line(name="x" * 129)]), ("name_length", 1030, 1)),
    ("negative price", receipt(lines=[line(price=-1, quantity=1, total=0)], total=0,
                               payments=[]), ("amount_range", 1079, 1)),
    ("negative line total", receipt(lines=[line(price=0, total=-1), line(price=1, quantity=1,
                                                                    total=1)],
                                    total=0, payments=[]), ("amount_range", 1043, 1)),
    ("zero quantity", receipt(lines=[line(quantity=0)]), ("quantity_range", 1023, 1)),
    ("huge quantity", receipt(lines=[line(quantity=100001)]), ("quantity_range", 1023, 1)),
    ("4 places on pieces", receipt(lines=[line(quantity="2.0001")]),
     ("quantity_places", 1023, 1)),
    ("7 places on kg", receipt(lines=[line(quantity="2.0000001", measure=Measure.KILOGRAM)]),
     ("quantity_places", 1023, 1)),
    ("line total off by 2 kop", receipt(lines=[line(total=30002)], total=30002,
                                        payments=[ReceiptPayment(kind=CASH, amount=30002)]),
     ("line_total", 1043, 1)),
    ("20% in 2026", receipt(lines=[line(vat=VatRate.VAT20)]), ("vat_date", 1199, 1)),
    ("marking code on plain goods", receipt(lines=[line(quantity=1, total=15000,
                                                        marking_code="0104600439931256")],
                                            total=15000,
                                            payments=[ReceiptPayment(kind=CASH, amount=15000)]),
     ("marking_not_allowed", 2000, 1)),
    ("marked goods without a code",
     receipt(lines=[line(payment_object=PaymentObject.COMMODITY_WITH_MARKING)]),
     ("marking_required", 2000, 1)),
    ("two marked pieces in a line",
     receipt(lines=[line(payment_object=PaymentObject.COMMODITY_WITH_MARKING,
                         marking_code="0104600439931256\x1d21abc")]),
     ("marking_one_piece", 2000, 1)),
    ("no lines", receipt(lines=[], total=0, payments=[]), ("no_lines", 1059, None)),
    ("total is not the lines", receipt(total=30100,
                                       payments=[ReceiptPayment(kind=CARD, amount=30100)]),
     ("total_not_lines", 1020, None)),
    ("underpaid", receipt(payments=[ReceiptPayment(kind=CASH, amount=29999)]),
     ("underpaid", 1020, None)),
    ("change from a card", receipt(payments=[ReceiptPayment(kind=CARD, amount=30100)]),
     ("change_not_cash", None, None)),
    ("a zero payment", receipt(payments=[ReceiptPayment(kind=CARD, amount=30000),
                                         ReceiptPayment(kind=PaymentKind.PREPAID, amount=0)]),
     ("payment_amount", 1215, None)),
    ("two tax systems", receipt(taxation=TaxSystem.OSN | TaxSystem.PATENT),
     ("taxation_one", 1055, None)),
    ("no tax system", receipt(taxation=TaxSystem(0)), ("taxation_one", 1055, None)),
    ("phone without +", receipt(customer_contact="89161234567"),
     ("contact_format", 1008, None)),
    ("short +7 phone", receipt(customer_contact="+7916123456"), ("contact_format", 1008, None)),
    ("e-mail without domain", receipt(customer_contact="anna@localhost"),
     ("contact_format", 1008, None)),
    ("electronic without contact", receipt(electronic_only=True),
     ("contact_required", 1008, None)),
    ("cashier INN with a bad check digit", receipt(cashier=Cashier(name="A", inn="500100732258")),
     ("inn", 1203, None)),
    ("cashier INN of an organisation", receipt(cashier=Cashier(name="A", inn="7707083893")),
     ("inn", 1203, None)),
    ("cashier name too long", receipt(cashier=Cashier(name="x" * 65)),
     ("name_length", 1021, None)),
    ("buyer INN wrong", receipt(buyer=Buyer(name="ООО Ромашка", inn="7707083894")),
     ("inn", 1228, None)),
    ("place too long", receipt(place="x" * 65), ("name_length", 1187, None)),
    ("naive time", receipt(issued_at=datetime(2026, 3, 2, 12, 30)), ("naive_time", 1012, None)),
    ("original date on a sale", receipt(original_date=date(2025, 12, 1)),
     ("original_not_refund", None, None)),
    ("original date after the refund", receipt(operation=Operation.SELL_REFUND,
                                               original_date=date(2026, 3, 3)),
     ("original_future", None, None)),
]


@pytest.mark.parametrize(("why", "bad", "expected"), BAD_RECEIPTS, ids=[b[0] for b in BAD_RECEIPTS])
def test_each_rule_fails_with_its_code_tag_and_line(why, bad, expected):
    assert codes(bad) == [expected], why
    with pytest.raises(ReceiptError) as err:
        validate(bad)
    assert isinstance(err.value, UserError)
    assert (err.value.code, err.value.tag, err.value.line) == expected


GOOD_RECEIPTS = [
    ("cash with change", receipt(payments=[ReceiptPayment(kind=CASH, amount=50000)])),
    ("card and cash, change from cash", receipt(payments=[
        ReceiptPayment(kind=CARD, amount=20000), ReceiptPayment(kind=CASH, amount=15000)])),
    ("every payment tag", receipt(lines=[line(price=100, quantity=5, total=500)], total=500,
                                  payments=[ReceiptPayment(kind=k, amount=100)
                                            for k in PaymentKind])),
    ("price 0 (a gift)", receipt(lines=[line(price=0, total=0)], total=0, payments=[])),
    ("line total 1 kop off (a spread discount)", receipt(
        lines=[line(price=3333, quantity=3, total=10000)], total=10000,
        payments=[ReceiptPayment(kind=CASH, amount=10000)])),
    ("half up: 0.335 kg x 99.99", receipt(
        lines=[line(price=9999, quantity="0.335", total=3350, measure=Measure.KILOGRAM)],
        total=3350, payments=[ReceiptPayment(kind=CASH, amount=3350)])),
    ("6 places on measured goods", receipt(
        lines=[line(price=100000, quantity="0.123456", total=12346, measure=Measure.KILOGRAM)],
        total=12346, payments=[ReceiptPayment(kind=CASH, amount=12346)])),
    ("trailing zeros are not places", receipt(lines=[line(quantity=Decimal("2.000000"))])),
    ("marked piece with its code", receipt(
        lines=[line(quantity=1, total=15000, payment_object=PaymentObject.COMMODITY_WITH_MARKING,
                    marking_code="0104600439931256\x1d21abc")],
        total=15000, payments=[ReceiptPayment(kind=CASH, amount=15000)])),
    ("marked excise", receipt(
        lines=[line(quantity=1, total=15000, payment_object=PaymentObject.EXCISE_WITH_MARKING,
                    marking_code="0104600439931256\x1d21abc")],
        total=15000, payments=[ReceiptPayment(kind=CASH, amount=15000)])),
    ("phone", receipt(customer_contact="+79161234567")),
    ("foreign phone", receipt(customer_contact="+4930123456")),
    ("e-mail", receipt(customer_contact="anna@example.ru", electronic_only=True)),
    ("no cashier (an online shop)", receipt(cashier=None)),
    ("buyer organisation", receipt(buyer=Buyer(name="ООО Ромашка", inn="7707083893"))),
    ("buyer person", receipt(buyer=Buyer(inn="500100732259"))),
    ("USN income", receipt(taxation=TaxSystem.USN_INCOME, lines=[line(vat=VatRate.NONE)])),
]


@pytest.mark.parametrize(("why", "good"), GOOD_RECEIPTS, ids=[g[0] for g in GOOD_RECEIPTS])
def test_receipts_keeping_the_rules_pass(why, good):
    assert problems(good) == [], why


def test_problems_lists_every_broken_rule_lines_first():
    bad = receipt(lines=[line(), line(name="", total=1)], total=30000,
                  payments=[ReceiptPayment(kind=CARD, amount=40000)], customer_contact="nope")
    assert [(e.code, e.line) for e in problems(bad)] == [
        ("name_length", 2), ("line_total", 2), ("total_not_lines", None),
        ("change_not_cash", None), ("contact_format", None)]


def test_error_text_names_the_line_and_the_tag_in_both_languages():
    bad = receipt(lines=[line(), line(total=30002)], total=60002,
                  payments=[ReceiptPayment(kind=CASH, amount=60002)])
    [err] = problems(bad)
    assert str(err) == ("Line 2, tag 1043: the line total 300.02 is not price × quantity "
                        "= 300.00.")
    assert err.text("en") == str(err)
    assert err.text() == ("Строка 2, тег 1043: сумма позиции 300.02 не равна цене × "
                          "количество = 300.00.")
    [change] = problems(receipt(payments=[ReceiptPayment(kind=CARD, amount=30100)]))
    assert change.text("ru").startswith("Безналичные оплаты на 301.00 больше итога 300.00")


def test_line_total_rounds_half_up():
    assert line_total(9999, Decimal("0.335")) == 3350  # 3349.665
    assert line_total(15, Decimal("0.5")) == 8  # 7.5 -> 8, not banker's 8 / 7
    assert line_total(25, Decimal("0.5")) == 13  # 12.5 -> 13 (banker's would give 12)


# --- VAT rates and their dates ------------------------------------------------------------

def test_vat_codes_names_and_labels():
    assert {r.code for r in VatRate} == set(range(1, 13))
    assert (VatRate.VAT22.code, VatRate.VAT22_122.code, VatRate.VAT20.code) == (11, 12, 1)
    assert (VatRate.VAT5.code, VatRate.VAT7.code, VatRate.VAT5_105.code,
            VatRate.VAT7_107.code) == (7, 8, 9, 10)
    assert (VatRate.NONE.code, VatRate.VAT0.code) == (6, 5)
    assert all(VatRate.from_code(r.code) is r for r in VatRate)
    with pytest.raises(ValueError):
        VatRate.from_code(13)
    assert [VatRate.VAT22.atol, VatRate.VAT22_122.atol, VatRate.NONE.atol] == [
        "vat22", "vat122", "none"]
    assert [VatRate.VAT22.label, VatRate.VAT7_107.label, VatRate.VAT0.label,
            VatRate.NONE.label] == ["22%", "7/107", "0%", "none"]
    assert VatRate.VAT22.vat_amount(12200) == 2200
    assert VatRate.VAT20_120.vat_amount(12000) == 2000
    assert VatRate.VAT10.vat_amount(1) == 0 and VatRate.VAT10.vat_amount(6) == 1  # 0.545 -> 1
    assert VatRate.NONE.vat_amount(12200) == 0
    assert line(total=12200).vat_amount == 2200


@pytest.mark.parametrize(("rate", "dec31", "jan1"), [
    (VatRate.VAT20, True, False), (VatRate.VAT20_120, True, False),
    (VatRate.VAT22, False, True), (VatRate.VAT22_122, False, True),
    (VatRate.VAT10, True, True), (VatRate.VAT0, True, True), (VatRate.NONE, True, True),
    (VatRate.VAT5, True, True), (VatRate.VAT7_107, True, True)])
def test_vat_validity_on_both_sides_of_2026(rate, dec31, jan1):
    before = datetime(2025, 12, 31, 23, 59, tzinfo=MSK)
    after = datetime(2026, 1, 1, 0, 0, tzinfo=MSK)
    assert rate.valid_on(before.date()) is dec31 and rate.valid_on(after.date()) is jan1
    assert (problems(receipt(issued_at=before, lines=[line(vat=rate)])) == []) is dec31
    assert (problems(receipt(issued_at=after, lines=[line(vat=rate)])) == []) is jan1


def test_vat_rates_of_2025_usn_start_on_new_year_2025():
    assert not VatRate.VAT5.valid_on(date(2024, 12, 31)) and VatRate.VAT5.valid_on(date(2025, 1, 1))
    assert VatRate.VAT5_105.valid_from == date(2025, 1, 1)


def test_the_receipts_own_date_counts_not_utc():
    # 22:30 UTC on Dec 31 is 01:30 on Jan 1 in Moscow: the Moscow receipt is a 2026 one
    at = datetime(2025, 12, 31, 22, 30, tzinfo=UTC).astimezone(MSK)
    assert codes(receipt(issued_at=at, lines=[line(vat=VatRate.VAT20)])) == [
        ("vat_date", 1199, 1)]
    assert problems(receipt(issued_at=at)) == []


def test_a_refund_of_a_2025_sale_keeps_20_percent():
    refund = receipt(operation=Operation.SELL_REFUND, original_date=date(2025, 12, 20),
                     lines=[line(vat=VatRate.VAT20)])
    assert problems(refund) == []
    err = problems(attrs.evolve(refund, lines=[line(vat=VatRate.VAT22)]))[0]
    assert (err.code, err.params["day"]) == ("vat_date", "2025-12-20")


# --- correction receipts ------------------------------------------------------------------

def test_correction_rules():
    assert problems(correction()) == []
    assert problems(correction(lines=[line()])) == []
    by_order = correction(correction_type=CorrectionType.INSTRUCTION)
    assert codes(by_order) == [("basis_number", 1179, None)]
    assert problems(attrs.evolve(by_order, basis_number="ЕД-12/345")) == []
    assert codes(correction(basis_date=date(2026, 3, 3))) == [("basis_future", 1178, None)]
    assert codes(correction(basis_date=None)) == [("basis_missing", 1178, None)]
    assert codes(correction(total=0, payments=[])) == [("correction_zero", 1020, None)]
    assert codes(correction(lines=[line()], total=30001,
                            payments=[ReceiptPayment(kind=CASH, amount=30001)])) == [
        ("total_not_lines", 1020, None)]
    # a 2025 settlement corrected in 2026 takes 2025's rates
    old = correction(basis_date=date(2025, 11, 5), lines=[line(vat=VatRate.VAT20)])
    assert problems(old) == []
    assert codes(attrs.evolve(old, lines=[line()])) == [("vat_date", 1199, 1)]


# --- documents and the QR ------------------------------------------------------------------

def doc(**kw: Any) -> FiscalDocument:
    base: dict[str, Any] = dict(
        kind=DocumentKind.RECEIPT, issued_at=datetime(2015, 7, 20, 16, 38, 41, tzinfo=MSK),
        number=12345678, fiscal_sign="123456", fn="000110000105", shift=7, receipt_number=3,
        total=999999900, operation=Operation.SELL_REFUND, register_number="0000000001002292")
    return FiscalDocument(**{**base, **kw})


def test_qr_is_the_official_example_exactly():
    assert doc().qr == "t=20150720T1638&s=9999999.00&fn=000110000105&i=12345678&fp=123456&n=2"
    # the fiscal sign keeps its zeros in print, not in the QR; kopecks always two digits
    assert doc(fiscal_sign="0000123456", total=5).qr == (
        "t=20150720T1638&s=0.05&fn=000110000105&i=12345678&fp=123456&n=2")
    assert doc(kind=DocumentKind.CORRECTION).qr is not None
    assert doc(kind=DocumentKind.SHIFT_CLOSE, total=None, operation=None).qr is None


def test_qr_uses_the_registers_wall_clock():
    at = datetime(2026, 3, 2, 9, 5, tzinfo=UTC).astimezone(timezone(timedelta(hours=7)))
    qr = doc(issued_at=at).qr
    assert qr is not None and qr.startswith("t=20260302T1605&")


def test_qr_parser_reads_both_forms():
    official = ReceiptQr.parse(
        "t=20150720T1638&s=9999999.00&fn=000110000105&i=12345678&fp=123456&n=2", MSK)
    assert official == ReceiptQr(at=datetime(2015, 7, 20, 16, 38, tzinfo=MSK), total=999999900,
                                 fn="000110000105", number=12345678, fiscal_sign="123456",
                                 operation=Operation.SELL_REFUND)
    assert official.text == doc().qr
    real = ReceiptQr.parse(
        "t=20190418T211655&s=3943.26&fn=9282000100072197&i=64318&fp=2918241905&n=1", MSK)
    assert (real.at, real.total, real.fn, real.number, real.fiscal_sign, real.operation) == (
        datetime(2019, 4, 18, 21, 16, 55, tzinfo=MSK), 394326, "9282000100072197", 64318,
        "2918241905", Operation.SELL)
    shuffled = ReceiptQr.parse("n=1&fp=1&i=2&fn=3&s=10&t=20260101T0000", UTC)
    assert (shuffled.total, shuffled.number) == (1000, 2)


@pytest.mark.parametrize(("text", "code", "tag"), [
    ("https://check.ofd.ru/rec/123", "qr_malformed", None),
    ("t=20150720T1638&s=1.00&fn=1&i=1&fp=1", "qr_field", 1054),
    ("t=20150720T1638&s=1.00&fn=1&i=1&fp=1&n=2&x=1", "qr_malformed", None),
    ("t=20150720T1638&s=1.00&fn=1&i=1&fp=1&n=2&n=2", "qr_malformed", None),
    ("t=2015-07-20&s=1.00&fn=1&i=1&fp=1&n=2", "qr_field", 1012),
    ("t=20150720T1638&s=1,00&fn=1&i=1&fp=1&n=2", "qr_field", 1020),
    ("t=20150720T1638&s=1.0&fn=1&i=1&fp=1&n=2", "qr_field", 1020),
    ("t=20150720T1638&s=1.00&fn=AB&i=1&fp=1&n=2", "qr_field", 1041),
    ("t=20150720T1638&s=1.00&fn=1&i=1&fp=1&n=5", "qr_field", 1054),
])
def test_qr_parser_refuses_what_is_not_a_receipt_qr(text, code, tag):
    with pytest.raises(ReceiptError) as err:
        ReceiptQr.parse(text, MSK)
    assert (err.value.code, err.value.tag) == (code, tag)


def test_document_invariants():
    with pytest.raises(ValueError, match="needs fiscal_sign"):
        doc(fiscal_sign=None)
    with pytest.raises(ValueError, match="not digits"):
        doc(fiscal_sign="12a")
    with pytest.raises(ValueError, match="no fiscal sign"):
        doc(kind=DocumentKind.X_REPORT)
    with pytest.raises(ValueError, match="timezone-aware"):
        doc(issued_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="total and operation"):
        doc(total=None)
    x = FiscalDocument(kind=DocumentKind.X_REPORT, issued_at=WHEN, shift=7)
    cash_in = FiscalDocument(kind=DocumentKind.CASH_IN, issued_at=WHEN, total=500000)
    assert x.qr is None and cash_in.fiscal_sign is None
    assert not (DocumentKind.X_REPORT.fiscal or DocumentKind.CASH_IN.fiscal
                or DocumentKind.TEXT.fiscal)
    assert DocumentKind.SHIFT_OPEN.fiscal and DocumentKind.RECEIPT.fiscal


def test_status_shift_expiry_and_sums():
    st_open = FiscalStatus(shift_open=True, shift=7, shift_opened_at=WHEN)
    assert st_open.shift_expires_at == WHEN + timedelta(hours=24)
    assert FiscalStatus(shift_open=False, shift_opened_at=WHEN).shift_expires_at is None
    r = receipt(payments=[ReceiptPayment(kind=CARD, amount=10000),
                          ReceiptPayment(kind=CASH, amount=50000)])
    assert r.change == 30000
    assert r.sums() == {1031: 20000, 1081: 10000, 1215: 0, 1216: 0, 1217: 0}
    assert [k.tag for k in PaymentKind] == [1031, 1081, 1215, 1216, 1217]
    assert correction().sums()[1031] == 30000


# --- codec round trips (the journal stores requests and results as JSON) ---------------------

ROUND_TRIP = [
    receipt(customer_contact="+79161234567", buyer=Buyer(name="ООО Ромашка", inn="7707083893"),
            place="Кафе", address="Москва", lines=[
                line(), line(quantity="0.123456", measure=Measure.KILOGRAM, price=100000,
                             total=12346, product_code="444D00000000")],
            payments=[ReceiptPayment(kind=CASH, amount=50000)], electronic_only=True,
            original_date=None),
    receipt(operation=Operation.SELL_REFUND, original_date=date(2025, 12, 1),
            lines=[line(vat=VatRate.VAT20)], taxation=TaxSystem.USN_INCOME_OUTCOME),
    correction(correction_type=CorrectionType.INSTRUCTION, basis_number="12", lines=[line()]),
    doc(ofd_confirmed=True, detail={"receipts": 12}),
    FiscalDocument(kind=DocumentKind.X_REPORT, issued_at=WHEN),
    FiscalStatus(shift_open=True, shift=3, shift_opened_at=WHEN, shift_expired=True,
                 unsent_documents=4, oldest_unsent_at=WHEN, fn="9999078900000961",
                 fn_expires_at=WHEN, fn_full=False, paper_ok=False, ready=False, message="x"),
    MarkingCheck(code="0104600439931256\x1d21abc", valid=False, result=5, item_info=1,
                 message="код не найден"),
    ReceiptQr.parse("t=20190418T211655&s=3943.26&fn=9282000100072197&i=64318&fp=2918241905&n=1",
                    MSK),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: type(v).__name__)
def test_codec_round_trip(value):
    text = codec.dumps(value)
    back = codec.loads(text, type(value))
    assert back == value
    assert codec.dumps(back) == text


def test_codec_keeps_enums_as_ffd_codes():
    data = codec.to_dict(receipt())
    assert (data["operation"], data["taxation"], data["lines"][0]["vat"],
            data["lines"][0]["payment_object"], data["lines"][0]["settlement_method"],
            data["lines"][0]["measure"], data["payments"][0]["kind"]) == (
        1, 1, "vat22", 1, 4, 0, "electronic")
    assert data["lines"][0]["quantity"] == "2"  # Decimal as text: no float on the way


def test_inn_check_digits():
    assert inn_valid("7707083893") and inn_valid("500100732259")
    assert not inn_valid("7707083894") and not inn_valid("500100732258")
    assert not inn_valid("77070838") and not inn_valid("77070838ab")


# --- property: any valid generated receipt validates and adds up ----------------------------

VALID_2026 = [r for r in VatRate if r.valid_on(date(2026, 6, 1))]


@st.composite
def valid_receipts(draw: Any) -> Receipt:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        measured = draw(st.booleans())
        places = 6 if measured else 3
        quantity = Decimal(draw(st.integers(1, 50_000 * 10**places))).scaleb(-places)
        price = draw(st.integers(0, 5_000_000))
        lines.append(ReceiptLine(
            name=draw(st.text(min_size=1, max_size=128).filter(str.strip)), price=price,
            quantity=quantity, total=line_total(price, quantity) + draw(st.integers(-1, 1)) * (
                price > 0), vat=draw(st.sampled_from(VALID_2026)),
            measure=Measure.KILOGRAM if measured else Measure.PIECE,
            payment_object=draw(st.sampled_from([PaymentObject.COMMODITY, PaymentObject.SERVICE,
                                                 PaymentObject.EXCISE]))))
    lines = [ln if ln.total >= 0 else attrs.evolve(ln, total=0, price=0) for ln in lines]
    total = sum(ln.total for ln in lines)
    card = draw(st.integers(0, total))
    cash = total - card + draw(st.integers(0, 500_000))
    payments = [ReceiptPayment(kind=k, amount=a)
                for k, a in ((CARD, card), (CASH, cash)) if a > 0]
    return Receipt(operation=draw(st.sampled_from(list(Operation))),
                   taxation=draw(st.sampled_from(list(TaxSystem))), lines=lines,
                   payments=payments, total=total, issued_at=datetime(2026, 6, 1, 10, tzinfo=MSK))


@settings(max_examples=200, deadline=None)
@given(valid_receipts())
def test_any_valid_receipt_validates_and_adds_up(r):
    validate(r)
    sums = r.sums()
    assert sum(sums.values()) == r.total
    assert r.change == sum(p.amount for p in r.payments) - r.total >= 0
    assert sums[1031] >= 0 and sums[1081] <= r.total
    assert codec.loads(codec.dumps(r), Receipt) == r


def test_every_error_code_has_a_russian_and_an_english_text():
    import re
    from pathlib import Path

    import kassa.model.fiscal as fiscal_mod
    import kassa.model.fiscal_rules as rules_mod
    from kassa.i18n import CORE

    used = set()
    for mod in (fiscal_mod, rules_mod):
        assert mod.__file__ is not None
        used |= set(re.findall(r'ReceiptError\(\s*"(\w+)"', Path(mod.__file__).read_text()))
    used |= {"shift_expired", "shift_closed", "where.line", "where.tag"}  # raised by registers
    assert len(used) > 25
    for loc in ("ru", "en"):
        have = {k.removeprefix("fiscal.") for k in CORE[loc] if k.startswith("fiscal.")}
        assert used <= have, f"{loc}: no text for {sorted(used - have)}"
    assert ({k for k in CORE["ru"] if k.startswith("fiscal.")}
            == {k for k in CORE["en"] if k.startswith("fiscal.")})
    assert ReceiptError("shift_expired").text() == "Смена открыта больше 24 часов: закройте смену."
