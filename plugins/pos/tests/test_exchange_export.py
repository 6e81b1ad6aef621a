"""Sales and returns of a period exported as CommerceML documents and read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import kassa_pos
import pytest
from kassa import codec
from kassa.model import (
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
)
from kassa.model.ffd import VatRate
from kassa.store import Store
from kassa_pos.engine import pay_tables as t
from kassa_pos.engine.returns import ReturnPlan
from kassa_pos.exchange.documents import (
    RETURN,
    SALE,
    read_documents,
    sales_between,
    write_documents,
)

pytestmark = pytest.mark.anyio
MIGRATIONS = {"pos": Path(kassa_pos.__file__).parent / "migrations"}
AT = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


class Hub:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.write_sync = store.write_sync


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'kassa.db'}", migrations=MIGRATIONS)
    await store.prepare()
    yield Hub(store)
    await store.close()


def _receipt(op: Operation, lines: list[ReceiptLine], at: datetime) -> Receipt:
    total = sum(ln.total for ln in lines)
    return Receipt(operation=op, taxation=TaxSystem.OSN, lines=lines, total=total, issued_at=at,
                   payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)])


async def _seed(hub: Hub) -> None:
    milk = ReceiptLine(name="Молоко 3,2%", price=8990, quantity=2, total=17980, vat=VatRate.VAT10)
    bread = ReceiptLine(name="Хлеб", price=5400, quantity=1, total=5400, vat=VatRate.NONE)
    # the receipt splits the milk in two items (a price no whole kopeck gives): the export
    # is per sale line all the same
    sale = _receipt(Operation.SELL, [
        ReceiptLine(name=milk.name, price=8989, quantity=1, total=8989, vat=VatRate.VAT10),
        ReceiptLine(name=milk.name, price=8991, quantity=1, total=8991, vat=VatRate.VAT10),
        bread], AT)
    back = _receipt(Operation.SELL_REFUND, [ReceiptLine(
        name="Молоко 3,2%", price=8990, quantity=1, total=8990, vat=VatRate.VAT10)],
        AT.replace(hour=15))
    plan = ReturnPlan(key="ret-1", check_id="chk-1", site="s1", till="t1", cashier="c",
                      receipt=back, refunds=(), lines=((0, Decimal(1), 8990, 0),))

    def w(c: object) -> None:
        c.execute(t.sale.insert(), {  # type: ignore[attr-defined]
            "check_id": "chk-1", "key": "k1", "site": "s1", "till": "t1", "number": 7,
            "total": sale.total, "change": 0, "issued_at": AT, "document": "{}",
            "receipt": codec.dumps(sale)})
        c.execute(t.sale_line.insert(), [  # type: ignore[attr-defined]
            {"check_id": "chk-1", "line_no": i, "item_code": code, "name": ln.name,
             "quantity": ln.quantity, "returned": 0, "total": ln.total, "refunded": 0,
             "bonus": 0, "bonus_refunded": 0, "line": "{}"}
            for i, (code, ln) in enumerate((("MLK-32", milk), ("BRD-1", bread)))])
        c.execute(t.return_.insert(), [  # type: ignore[attr-defined]
            {"key": "ret-1", "check_id": "chk-1", "site": "s1", "till": "t1", "status": "done",
             "total": back.total, "plan": codec.dumps(plan), "created_at": back.issued_at},
            {"key": "ret-2", "check_id": "chk-1", "site": "s1", "till": "t1",
             "status": "failed", "total": 1, "plan": codec.dumps(plan),
             "created_at": back.issued_at}])

    await hub.write_sync(w)


async def test_a_period_exports_sales_and_done_returns_and_reads_back(
        hub: Hub, tmp_path: Path) -> None:
    await _seed(hub)
    docs = await sales_between(hub, datetime(2026, 3, 2, tzinfo=UTC),
                               datetime(2026, 3, 3, tzinfo=UTC))
    assert [(d.operation, d.total) for d in docs] == [(SALE, 23380), (RETURN, 8990)]
    out = tmp_path / "orders.xml"
    write_documents(docs, out, now=AT)
    assert out.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.parse(out).getroot()  # well-formed, the documented shape
    assert root.tag == "КоммерческаяИнформация" and root.get("ВерсияСхемы") == "2.05"
    assert [d.findtext("ХозОперация") for d in root.iter("Документ")] == [
        "Заказ товара", "Возврат товара"]
    back = read_documents(out)
    assert [(d.id, d.operation, d.total) for d in back] == [
        ("chk-1", SALE, 23380), ("ret-1", RETURN, 8990)]
    assert [(ln.code, ln.quantity, ln.price, ln.total) for ln in back[0].lines] == [
        ("MLK-32", Decimal(2), 8990, 17980), ("BRD-1", Decimal(1), 5400, 5400)]
    assert back[1].lines[0].code == "MLK-32"  # the return's line found through its sale
    for d in back:
        assert d.total == sum(ln.total for ln in d.lines)


async def test_the_period_bounds_leave_out_what_is_outside(hub: Hub) -> None:
    await _seed(hub)
    docs = await sales_between(hub, datetime(2026, 3, 2, 13, tzinfo=UTC),
                               datetime(2026, 3, 3, tzinfo=UTC))
    assert [d.id for d in docs] == ["ret-1"]
