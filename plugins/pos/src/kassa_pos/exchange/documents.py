"""Sales and returns of a period as CommerceML 2 documents (the orders.xml shape 1C takes
from a shop: /work/shared/protocols/commerceml.md §4.3): one ``Документ`` per sale with
ХозОперация "Заказ товара" and per return with "Возврат товара" (another value of the
schema's ХозОперация enumeration [XSD210]); Роль "Продавец", Валюта "RUB", Курс 1.
Lines carry the article as Ид and Артикул: the till does not keep 1C's Товар/Ид [gap]."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from kassa import codec

from kassa_pos.engine import pay_tables as t
from kassa_pos.engine.returns import ReturnPlan

SALE, RETURN = "sale", "return"
HOZ_OPERATION = {SALE: "Заказ товара", RETURN: "Возврат товара"}


@frozen(kw_only=True)
class DocLine:
    code: str
    name: str
    quantity: Decimal
    price: int  # kopecks per unit
    total: int  # kopecks


@frozen(kw_only=True)
class SaleDoc:
    """One sale or return, in the neutral shape every exchange format writes."""

    id: str
    number: str
    at: datetime
    operation: str  # SALE | RETURN
    total: int
    lines: tuple[DocLine, ...]


def _line(code: str, name: str, quantity: Any, total: int) -> DocLine:
    """A document line; its price is the unit's after discounts, to the kopeck."""
    q = Decimal(str(quantity))
    return DocLine(code=code, name=name, quantity=q, total=total,
                   price=int((Decimal(total) / q).quantize(Decimal(1), ROUND_HALF_UP)))


def _money(kopecks: int) -> str:
    return f"{Decimal(kopecks) / 100:.2f}"


async def sales_between(hub: Any, since: datetime, until: datetime) -> list[SaleDoc]:
    """Fiscalised sales and done returns with ``since <= time < until``, oldest first."""

    def q(c: sa.Connection) -> list[SaleDoc]:
        out: list[SaleDoc] = []
        sales = c.execute(sa.select(t.sale).where(
            t.sale.c.issued_at >= since, t.sale.c.issued_at < until)).mappings().all()
        for s in sales:
            lines = c.execute(sa.select(t.sale_line).where(
                t.sale_line.c.check_id == s["check_id"]).order_by(
                t.sale_line.c.line_no)).mappings().all()
            out.append(SaleDoc(
                id=s["check_id"], number=f"{s['till']}-{s['number'] or s['check_id']}",
                at=s["issued_at"], operation=SALE, total=s["total"],
                lines=tuple(_line(ln["item_code"], ln["name"], ln["quantity"], ln["total"])
                            for ln in lines)))
        rets = c.execute(sa.select(t.return_).where(
            t.return_.c.status == "done", t.return_.c.created_at >= since,
            t.return_.c.created_at < until)).mappings().all()
        for r in rets:
            plan = codec.loads(r["plan"], ReturnPlan)
            sold = {} if plan.check_id is None else {ln.line_no: ln for ln in c.execute(
                sa.select(t.sale_line.c.line_no, t.sale_line.c.item_code,
                          t.sale_line.c.name).where(t.sale_line.c.check_id == plan.check_id))}
            if plan.goods:  # without a receipt: the goods brought back
                lines_ = [_line(g.item_code, g.name, g.quantity, g.amount) for g in plan.goods]
            elif sold:  # one line per sale line given back (a receipt may split one in two)
                lines_ = [_line(sold[n].item_code, sold[n].name, q, money)
                          for n, q, money, _bonus in plan.lines if n in sold]
            else:  # another store's sale: only its refund receipt is here
                lines_ = [_line(rl.name, rl.name, rl.quantity, rl.total)
                          for rl in plan.receipt.lines]
            out.append(SaleDoc(id=r["key"], number=r["key"], at=r["created_at"],
                               operation=RETURN, total=r["total"], lines=tuple(lines_)))
        out.sort(key=lambda d: d.at)
        return out

    async with hub.engine.connect() as conn:
        result: list[SaleDoc] = await conn.run_sync(q)
    return result


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def write_documents(docs: Sequence[SaleDoc], path: Path, *, now: datetime) -> None:
    """Write ``docs`` as one КоммерческаяИнформация (UTF-8, declared in the prolog)."""
    root = ET.Element("КоммерческаяИнформация", {
        "ВерсияСхемы": "2.05", "ДатаФормирования": now.strftime("%Y-%m-%dT%H:%M:%S")})
    for d in docs:
        doc = _sub(root, "Документ")
        for tag, text in (("Ид", d.id), ("Номер", d.number), ("Дата", d.at.strftime("%Y-%m-%d")),
                          ("ХозОперация", HOZ_OPERATION[d.operation]), ("Роль", "Продавец"),
                          ("Валюта", "RUB"), ("Курс", "1"), ("Сумма", _money(d.total)),
                          ("Время", d.at.strftime("%H:%M:%S"))):
            _sub(doc, tag, text)
        goods = _sub(doc, "Товары")
        for ln in d.lines:
            item = _sub(goods, "Товар")
            _sub(item, "Ид", ln.code)
            _sub(item, "Артикул", ln.code)
            _sub(item, "Наименование", ln.name)
            _sub(item, "БазоваяЕдиница", "шт").set("Код", "796")
            _sub(item, "ЦенаЗаЕдиницу", _money(ln.price))
            _sub(item, "Количество", f"{ln.quantity.normalize():f}")
            _sub(item, "Сумма", _money(ln.total))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def read_documents(path: Path) -> list[SaleDoc]:
    """Parse a documents file back (the round trip the tests make; 1C's own answer files
    have the same shape)."""
    out: list[SaleDoc] = []
    for doc in ET.parse(path).getroot().iter("Документ"):
        def v(el: ET.Element, tag: str) -> str:
            return (el.findtext(tag) or "").strip()

        lines = tuple(DocLine(code=v(g, "Ид"), name=v(g, "Наименование"),
                              quantity=Decimal(v(g, "Количество")),
                              price=int(Decimal(v(g, "ЦенаЗаЕдиницу")) * 100),
                              total=int(Decimal(v(g, "Сумма")) * 100))
                      for g in doc.iterfind("Товары/Товар"))
        out.append(SaleDoc(id=v(doc, "Ид"), number=v(doc, "Номер"),
                           at=datetime.fromisoformat(f"{v(doc, 'Дата')}T{v(doc, 'Время')}"),
                           operation=next((k for k, h in HOZ_OPERATION.items()
                                           if h == v(doc, "ХозОперация")), "?"),
                           total=int(Decimal(v(doc, "Сумма")) * 100), lines=lines))
    return out
