"""The mapping to v5 JSON and back (one module, wire.py) and the sent log, without a socket."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kassa.model import (
    Buyer,
    Cashier,
    DocumentKind,
    Measure,
    Operation,
    PaymentKind,
    PaymentObject,
    ReceiptLine,
    ReceiptPayment,
    SettlementMethod,
    VatRate,
)
from kassa.model.fiscal_rules import problems
from kassa.testing.contracts.fiscal import sample_receipt
from kassa_atol.online import OnlineSettings, wire
from kassa_atol.online.sent import FAILED, Sent, SentLog
from kassa_atol.online.sim_rules import first_problem

MSK = ZoneInfo("Europe/Moscow")
CFG = OnlineSettings(inn="5001007329", payment_address="https://shop.example",
                     company_email="shop@example.ru", group_code="g")


def test_receipt_body_is_v5() -> None:
    lines = [ReceiptLine(name="Сыр", price=100000, quantity=Decimal("0.255"), total=25500,
                         vat=VatRate.VAT10, measure=Measure.KILOGRAM,
                         payment_object=PaymentObject.COMMODITY_WITH_MARKING,
                         settlement_method=SettlementMethod.FULL_PREPAYMENT,
                         marking_code="0104607428679090\x1d216eJIjoWH54DdU")]
    r = attrs.evolve(sample_receipt(25500), operation=Operation.SELL_REFUND, lines=lines,
                     payments=[ReceiptPayment(kind=PaymentKind.ELECTRONIC, amount=25500)],
                     customer_contact="+79161234567",
                     buyer=Buyer(name="ООО Ромашка", inn="5001007329"),
                     cashier=Cashier(name="Ира", inn="500100732259"))
    op, body = wire.receipt_body(r, CFG, "ext-1", MSK)
    assert op == "sell_refund"
    assert body["timestamp"] == "02.03.2026 15:00:00" and "service" not in body
    doc = body["receipt"]
    assert doc["client"] == {"phone": "+79161234567", "name": "ООО Ромашка",
                             "inn": "5001007329"}
    assert doc["company"] == {"inn": "5001007329", "payment_address": "https://shop.example",
                              "sno": "osn", "email": "shop@example.ru"}
    item = doc["items"][0]
    assert (item["measure"], item["payment_object"], item["payment_method"]) == \
        (11, 33, "full_prepayment")
    assert item["quantity"] == 0.255 and item["sum"] == 255.0 and item["price"] == 1000.0
    assert item["vat"] == {"type": "vat10", "sum": 23.18}
    assert set(item["mark_code"]) == {"gs1m"}
    assert doc["payments"] == [{"type": 1, "sum": 255.0}]
    assert doc["cashier"] == "Ира" and doc["cashier_inn"] == "500100732259"
    assert first_problem(op, json.loads(json.dumps(body)), "5001007329") is None


def test_external_id_is_the_key_or_its_hash() -> None:
    assert wire.external_id("sale-1") == "sale-1"
    assert wire.external_id("sale-1", 3) == "sale-1.3"
    long = wire.external_id("x" * 300)
    assert len(long) <= wire.EXTERNAL_ID_MAX and long == wire.external_id("x" * 300)
    assert wire.external_id("чек 1") != wire.external_id("чек 2")


def test_document_from_a_done_report() -> None:
    report = {"uuid": "u1", "external_id": "e1", "group_code": "g", "payload": {
        "total": 150.0, "fns_site": "www.nalog.gov.ru", "fn_number": "9999078900000961",
        "shift_number": 7, "receipt_datetime": "02.03.2026 15:00:09",
        "fiscal_receipt_number": 3, "fiscal_document_number": 120,
        "ecr_registration_number": "0000000001002292",
        "fiscal_document_attribute": 123456789, "ofd_inn": "7704358518",
        "ofd_receipt_url": ""}}
    doc = wire.document(report, "buy_refund", MSK)
    assert doc.kind == DocumentKind.RECEIPT and doc.operation == Operation.BUY_REFUND
    assert (doc.number, doc.shift, doc.receipt_number, doc.total) == (120, 7, 3, 15000)
    assert doc.issued_at == datetime(2026, 3, 2, 12, 0, 9, tzinfo=UTC)
    assert doc.qr == "t=20260302T1500&s=150.00&fn=9999078900000961&i=120&fp=123456789&n=4"
    assert "ofd_receipt_url" not in doc.detail and doc.detail["uuid"] == "u1"


def test_sent_log_survives_a_torn_line_and_compacts(tmp_path: Path) -> None:
    path = tmp_path / "sent.jsonl"
    log = SentLog(path)
    log.put(Sent(key="a", attempt=1, external_id="a", op="sell", body={"x": 1}))
    with path.open("a", encoding="utf-8") as f:
        f.write('{"key": "b", "attem')  # the process died mid-write
    again = SentLog(path)
    assert again.get("a") is not None and again.get("b") is None
    again.put(Sent(key="c", attempt=1, external_id="c", op="sell"))
    assert SentLog(path).get("c") is not None, "the row after the torn one is kept"
    for i in range(450):
        again.put(Sent(key="a", attempt=1 + i, external_id="a", op="sell", state=FAILED))
    compacted = SentLog(path)
    assert compacted.get("a").attempt == 450  # type: ignore[union-attr]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_the_documented_config_block_loads() -> None:
    import re
    import tomllib

    page = Path(__file__).parents[3] / "docs" / "plugins" / "atol-online.md"
    block = re.search(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert block is not None
    table = tomllib.loads(block.group(1))["atol"]["online"][0]
    cfg = OnlineSettings(**table)
    assert cfg.group_code == "group_code_12345" and str(cfg.password) == "***"
    assert cfg.state_path(Path("/data")) == Path("/data/atol-online-cloud.jsonl")


LINE = st.builds(
    lambda price, qty, vat, measured: ReceiptLine(
        name="Товар", price=price, quantity=qty, vat=vat,
        total=int((Decimal(price) * qty).quantize(Decimal(1), rounding="ROUND_HALF_UP")),
        measure=Measure.KILOGRAM if measured else Measure.PIECE),
    st.integers(1, 10_000_000),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3),
    st.sampled_from([VatRate.VAT22, VatRate.VAT10, VatRate.VAT22_122, VatRate.VAT0,
                     VatRate.NONE, VatRate.VAT5]),
    st.booleans())


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(LINE, min_size=1, max_size=6), cash=st.booleans(),
       extra=st.integers(0, 50000))
def test_every_valid_receipt_maps_to_a_body_the_simulator_accepts(
        lines: list[ReceiptLine], cash: bool, extra: int) -> None:
    total = sum(line.total for line in lines)
    kind = PaymentKind.CASH if cash else PaymentKind.ELECTRONIC
    paid = total + (extra if cash else 0)  # change only from cash
    r = attrs.evolve(sample_receipt(), lines=lines, total=total,
                     payments=[ReceiptPayment(kind=kind, amount=paid)],
                     customer_contact="buyer@example.ru")
    assume(not problems(r))  # the core refuses it before any register sees it
    assume(total > 0)  # the register refuses a 0.00 receipt itself (test_online_register)
    op, body = wire.receipt_body(r, CFG, "e", MSK)
    assert first_problem(op, json.loads(json.dumps(body)), "5001007329") is None
