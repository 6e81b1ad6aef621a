"""Device and payment values: their invariants and codec round trips (the journal's JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from kassa import codec
from kassa.model import (
    CardOperation,
    CardResult,
    DeviceStatus,
    Health,
    Measure,
    PaymentResult,
    PaymentStatus,
    PosEvent,
    PosEventKind,
    PosEventLine,
    PrintJob,
    Reconciliation,
    ReconciliationTotal,
    Scan,
    Symbology,
    Weight,
    WeightUnit,
)

AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def approved(**kw) -> CardResult:
    base = dict(operation=CardOperation.PURCHASE, approved=True, amount=30000, key="k1",
                rcode="00", message="ОДОБРЕНО", rrn="123456789012", auth_code="A1B2C3",
                card_mask="220220******1234", card_type="MIR", terminal_id="00112233",
                txn_at=AT, txn_number="17", slip="ОПЛАТА\nОДОБРЕНО", suspended=True)
    return CardResult(**{**base, **kw})


def test_print_job_has_lines_or_raw_bytes():
    assert PrintJob(lines=["Стол 5", "Борщ x1"]).cut
    raw = PrintJob(raw=b"\x1b@hello\x1dV\x00", cut=False).raw
    assert raw is not None and raw.startswith(b"\x1b@")
    with pytest.raises(ValueError, match="either lines or raw"):
        PrintJob()
    with pytest.raises(ValueError, match="either lines or raw"):
        PrintJob(lines=["a"], raw=b"a")
    with pytest.raises(ValueError, match="copies"):
        PrintJob(lines=["a"], copies=0)


def test_weight_units_and_sellable():
    w = Weight(value="0.512", unit=WeightUnit.KILOGRAM, tare="0.010")
    assert (w.kg, w.grams, w.tare) == (Decimal("0.512"), Decimal("512.000"), Decimal("0.010"))
    g = Weight(value=1250, unit=WeightUnit.GRAM)
    assert g.kg == Decimal("1.25") and g.unit.measure is Measure.GRAM
    assert WeightUnit.KILOGRAM.measure is Measure.KILOGRAM
    assert w.sellable
    assert not Weight(value="0.5", stable=False).sellable
    assert not Weight(value="30.5", overload=True).sellable
    assert not Weight(value="-0.002", underload=True).sellable
    assert not Weight(value=0).sellable


def test_card_mask_never_holds_a_card_number():
    assert approved().card_mask == "220220******1234"
    with pytest.raises(ValueError, match="masked"):
        approved(card_mask="2202 2012 3456 1234")


def test_health_levels():
    assert [h.value for h in Health] == ["ok", "degraded", "down", "unavailable"]
    assert DeviceStatus(health=Health.OK).detail == {}


ROUND_TRIP = [
    DeviceStatus(health=Health.DEGRADED, message="бумага заканчивается", detail={"paper": "low"}),
    PrintJob(lines=["Стол 5", "Борщ x1"], copies=2, open_drawer=True),
    PrintJob(raw=b"\x1b@\x00\xff\x1dV\x00", cut=False),
    Weight(value="1.234567", unit=WeightUnit.KILOGRAM, stable=False, tare="0.1"),
    Scan(code="0104600439931256\x1d21abc\x1d91EE06", at=AT, symbology=Symbology.GS1_DATAMATRIX),
    PosEvent(kind=PosEventKind.LINE_ADD, at=AT, terminal_id="cas_1", receipt_id="E44D0F4A",
             cashier="Ivanov I", line=PosEventLine(position=2, name="Вода", quantity=2,
                                                   price=5199, amount=10398,
                                                   barcode="0760557822035")),
    PosEvent(kind=PosEventKind.RECEIPT_CLOSE, at=AT, terminal_id="cas_1", total=10398,
             payment_type="card"),
    PaymentResult(id="h1", status=PaymentStatus.AUTHORIZED, amount=500, key="k",
                  created_at=AT),
    PaymentResult(id="", status=PaymentStatus.DECLINED, amount=500, key="k",
                  message="not enough"),
    approved(),
    CardResult(operation=CardOperation.PURCHASE, approved=False, amount=100, key="k2",
               rcode="05", message="ОТКАЗ"),
    Reconciliation(slip="СВЕРКА ИТОГОВ\nИТОГО 3", at=AT, terminal_id="00112233", totals=[
        ReconciliationTotal(operation="purchase", count=3, amount=90000, card_type="MIR"),
        ReconciliationTotal(operation="refund", count=1, amount=1000)]),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: type(v).__name__)
def test_codec_round_trip(value):
    text = codec.dumps(value)
    back = codec.loads(text, type(value))
    assert back == value
    assert codec.dumps(back) == text
