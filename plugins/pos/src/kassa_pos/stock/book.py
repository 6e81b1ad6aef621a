"""Stock documents and levels of one store.

A document is posted once, whole, in one write transaction with its audit event: its lines
become signed moves (a goods receipt and a transfer in add, an expense invoice, a transfer
out and a write-off take away). An inventory count's lines are what was on the shelf; the
book level of each item at that moment (documents so far minus what the tills sold net of
returns by receipt) is read in the same transaction and the move is the discrepancy
(counted - book), kept with both figures. A document's id makes a repeat a no-op (the same
document again answers what was posted); the same id with other content is refused.

Levels are computed, never stored: the sum of the moves minus the till's sales
(``pos_pay_sale_line.quantity - returned``) per item, plus the goods of returns without a
receipt. A level may go below zero (goods sold before their receipt was entered): it is shown
as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from kassa.errors import UserError
from kassa.model import Measure, Severity

from kassa_pos.engine import audit, pay_tables, store_tables
from kassa_pos.kinds import Kind
from kassa_pos.stock import tables as t

THOUSANDTH = Decimal("0.001")
MAX_QTY = Decimal("99999999999.999")


class DocKind(StrEnum):
    RECEIPT = "receipt"  # goods received from a supplier
    EXPENSE = "expense"  # goods shipped out by an expense invoice
    TRANSFER_OUT = "transfer_out"  # sent to another store
    TRANSFER_IN = "transfer_in"  # received from another store
    WRITEOFF = "writeoff"  # spoiled, broken, expired
    COUNT = "count"  # an inventory count: what is on the shelf


SIGN = {DocKind.RECEIPT: 1, DocKind.TRANSFER_IN: 1, DocKind.EXPENSE: -1,
        DocKind.TRANSFER_OUT: -1, DocKind.WRITEOFF: -1}
NEEDS_COUNTERPART = (DocKind.RECEIPT, DocKind.EXPENSE, DocKind.TRANSFER_OUT,
                     DocKind.TRANSFER_IN)

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "not_table": "Документ должен быть объектом JSON.",
        "id": "У документа нет идентификатора (id) или он длиннее 100 знаков.",
        "kind": "Неизвестный вид документа «{value}»: бывают {known}.",
        "no_lines": "В документе нет строк (lines).",
        "line": "Строка {n}: {problem}",
        "item": "нет кода товара (item)",
        "unknown_item": "товара с кодом «{code}» нет в каталоге",
        "qty": "количество «{value}» — не число от 0,001 до 99 999 999 999,999",
        "count_qty": "пересчитанное количество «{value}» — не число от 0 и больше",
        "whole": "товар «{code}» штучный: количество «{value}» должно быть целым",
        "cost": "цена «{value}» — не сумма в копейках (целое от 0)",
        "twice": "товар «{code}» уже есть в строке {first}",
        "counterpart": "Для документа «{kind}» нужен контрагент (counterpart): поставщик, "
                       "покупатель или другой магазин.",
        "reason": "Для списания нужна причина (reason).",
        "ref": "Для приёма перемещения нужен номер отправки (ref).",
        "other": "Документ {id} уже проведён с другим содержимым: дайте новому документу "
                 "свой номер.",
    },
    "en": {
        "not_table": "A document must be a JSON object.",
        "id": "The document has no id, or it is longer than 100 characters.",
        "kind": "Unknown document kind '{value}': one of {known}.",
        "no_lines": "The document has no lines.",
        "line": "Line {n}: {problem}",
        "item": "no item code (item)",
        "unknown_item": "there is no item '{code}' in the catalog",
        "qty": "quantity '{value}' is not a number from 0.001 to 99,999,999,999.999",
        "count_qty": "counted quantity '{value}' is not a number of 0 or more",
        "whole": "item '{code}' is sold by the piece: quantity '{value}' must be whole",
        "cost": "cost '{value}' is not an amount in kopecks (a whole number from 0)",
        "twice": "item '{code}' is already on line {first}",
        "counterpart": "A '{kind}' document needs a counterpart: a supplier, a buyer or the "
                       "other store.",
        "reason": "A write-off needs a reason.",
        "ref": "A transfer in needs the transfer's id (ref).",
        "other": "Document {id} was posted with other content: give a new document its own "
                 "id.",
    },
}


class StockError(UserError):
    """A document refused, in one sentence; ``text(locale)`` in the reader's language."""

    def __init__(self, key: str, **params: Any) -> None:
        self.code, self.params = key, params
        super().__init__(self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        texts = _TEXT.get(locale, _TEXT["ru"])
        params = dict(self.params)
        if "problem" in params and isinstance(params["problem"], StockError):
            params["problem"] = params["problem"].text(locale)
        return texts[self.code].format(**params)


@frozen
class StockLine:
    item_code: str
    qty: Decimal  # a count: counted; otherwise moved, positive
    cost: int | None = None  # kopecks a unit


@frozen(kw_only=True)
class StockDoc:
    id: str
    kind: DocKind
    lines: tuple[StockLine, ...]
    counterpart: str | None = None
    reason: str | None = None
    ref: str | None = None

    def body(self) -> str:
        """The canonical JSON a repeat of the id is compared with."""
        return json.dumps({
            "id": self.id, "kind": self.kind.value, "counterpart": self.counterpart,
            "reason": self.reason, "ref": self.ref,
            "lines": [[ln.item_code, str(ln.qty), ln.cost] for ln in self.lines]},
            ensure_ascii=False, sort_keys=True)


@frozen(kw_only=True)
class Posted:
    doc: StockDoc
    replay: bool  # the id was posted before: nothing moved now
    moves: tuple[tuple[str, Decimal], ...]  # (item, signed quantity) as posted
    book: Mapping[str, Decimal] | None = None  # a count: the book levels it was taken against


def _qty(value: Any, *, zero: bool) -> Decimal:
    try:
        q = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not q.is_finite() or q != q.quantize(THOUSANDTH) or q > MAX_QTY or q < 0 or \
            (q == 0 and not zero):
        raise ValueError(value)
    return q


def parse(raw: Any) -> StockDoc:
    """A document from its JSON form: ``{"id", "kind", "lines": [{"item", "qty", "cost"}],
    "counterpart", "reason", "ref"}``. A bad one is a ``StockError`` naming the line."""
    if not isinstance(raw, Mapping):
        raise StockError("not_table")
    doc_id = str(raw.get("id") or "").strip()
    if not doc_id or len(doc_id) > 100:
        raise StockError("id")
    try:
        kind = DocKind(str(raw.get("kind") or ""))
    except ValueError:
        raise StockError("kind", value=raw.get("kind"),
                         known=", ".join(k.value for k in DocKind)) from None
    lines_raw = raw.get("lines")
    if not isinstance(lines_raw, list) or not lines_raw:
        raise StockError("no_lines")
    lines: list[StockLine] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(lines_raw, 1):
        def bad(key: str, n: int = n, **kw: Any) -> StockError:
            return StockError("line", n=n, problem=StockError(key, **kw))
        if not isinstance(row, Mapping):
            raise bad("item")
        code = str(row.get("item") or "").strip()
        if not code or len(code) > 64:
            raise bad("item")
        if code in seen:
            raise bad("twice", code=code, first=seen[code])
        seen[code] = n
        try:
            qty = _qty(row.get("qty"), zero=kind is DocKind.COUNT)
        except ValueError:
            raise bad("count_qty" if kind is DocKind.COUNT else "qty",
                      value=row.get("qty")) from None
        cost = row.get("cost")
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int)
                                 or cost < 0):
            raise bad("cost", value=cost)
        lines.append(StockLine(code, qty, cost))
    text = {k: (str(raw.get(k)).strip() or None) if raw.get(k) is not None else None
            for k in ("counterpart", "reason", "ref")}
    if kind in NEEDS_COUNTERPART and not text["counterpart"]:
        raise StockError("counterpart", kind=kind.value)
    if kind is DocKind.WRITEOFF and not text["reason"]:
        raise StockError("reason")
    if kind is DocKind.TRANSFER_IN and not text["ref"]:
        raise StockError("ref")
    return StockDoc(id=doc_id, kind=kind, lines=tuple(lines), **text)


def _levels(conn: Any, site: str, items: Sequence[str] | None = None) -> dict[str, Decimal]:
    """Book levels (a synchronous connection): moves minus sales net of returns."""
    m, sl, s = t.move, pay_tables.sale_line, pay_tables.sale
    moves = sa.select(m.c.item_code, sa.func.sum(m.c.qty)).where(m.c.site == site)
    sold = (sa.select(sl.c.item_code, sa.func.sum(sl.c.quantity - sl.c.returned))
            .select_from(sl.join(s, s.c.check_id == sl.c.check_id)).where(s.c.site == site))
    if items is not None:
        moves = moves.where(m.c.item_code.in_(list(items)))
        sold = sold.where(sl.c.item_code.in_(list(items)))
    out: dict[str, Decimal] = {}
    for sign, q in ((1, moves.group_by(m.c.item_code)), (-1, sold.group_by(sl.c.item_code))):
        for code, total in conn.execute(q):
            # SQLite sums NUMERIC as a float: back to thousandths
            value = Decimal(str(total or 0)).quantize(THOUSANDTH)
            out[code] = out.get(code, Decimal(0)) + sign * value
    r = pay_tables.return_
    # returns without a receipt (rare: a manager confirms each) put their goods back
    for (plan,) in conn.execute(sa.select(r.c.plan).where(
            (r.c.site == site) & r.c.check_id.is_(None) & (r.c.status == "done"))):
        for good in json.loads(plan).get("goods") or ():
            code = str(good.get("item_code"))
            if items is None or code in items:
                out[code] = out.get(code, Decimal(0)) + Decimal(str(good["quantity"]))
    return out


class StockBook:
    """One store's stock documents (``site``) on the hub's store."""

    def __init__(self, hub: Any, site: str, *, locale: str = "ru") -> None:
        self.hub, self.site, self.locale = hub, site, locale

    @classmethod
    def of(cls, hub: Any, *, locale: str = "ru") -> StockBook:
        section = hub.section("pos")
        site = getattr(section, "store", "") or hub.settings.sites[0].code
        return cls(hub, site, locale=locale)

    async def post(self, doc: StockDoc, *, by: str) -> Posted:
        """Post ``doc`` (once: a repeat of its id answers what was posted)."""
        def write(conn: Any) -> Posted:
            old = conn.execute(sa.select(t.doc.c.body).where(t.doc.c.id == doc.id)).first()
            if old is not None:
                if old.body != doc.body():
                    raise StockError("other", id=doc.id)
                rows = conn.execute(sa.select(t.move.c.item_code, t.move.c.qty).where(
                    t.move.c.doc_id == doc.id).order_by(t.move.c.line_no))
                return Posted(doc=doc, replay=True, moves=tuple(
                    (r.item_code, Decimal(str(r.qty)).quantize(THOUSANDTH)) for r in rows))
            codes = [ln.item_code for ln in doc.lines]
            units = dict(conn.execute(sa.select(store_tables.item.c.code,
                                                store_tables.item.c.unit)
                                      .where(store_tables.item.c.code.in_(codes))).all())
            for n, ln in enumerate(doc.lines, 1):
                if ln.item_code not in units:
                    raise StockError("line", n=n, problem=StockError(
                        "unknown_item", code=ln.item_code))
                if units[ln.item_code] == Measure.PIECE.value and ln.qty != ln.qty // 1:
                    raise StockError("line", n=n, problem=StockError(
                        "whole", code=ln.item_code, value=str(ln.qty)))
            book = _levels(conn, self.site, codes) if doc.kind is DocKind.COUNT else None
            now = self.hub.clock.now()
            conn.execute(t.doc.insert().values(
                id=doc.id, site=self.site, kind=doc.kind.value, counterpart=doc.counterpart,
                reason=doc.reason, ref=doc.ref, posted_at=now, posted_by=by, body=doc.body()))
            moves = []
            for n, ln in enumerate(doc.lines):
                if book is not None:
                    was = book.get(ln.item_code, Decimal(0))
                    qty, extra = ln.qty - was, {"book": was, "counted": ln.qty}
                else:
                    qty, extra = SIGN[doc.kind] * ln.qty, {}
                conn.execute(t.move.insert().values(
                    doc_id=doc.id, line_no=n, site=self.site, item_code=ln.item_code,
                    qty=qty, cost=ln.cost, **extra))
                moves.append((ln.item_code, qty))
            self.hub.emit(self._event(doc, by, moves), conn=conn)
            return Posted(doc=doc, replay=False, moves=tuple(moves),
                          book={c: book.get(c, Decimal(0)) for c in codes}
                          if book is not None else None)
        posted: Posted = await self.hub.write_sync(write)
        return posted

    def _event(self, doc: StockDoc, by: str, moves: list[tuple[str, Decimal]]) -> Any:
        short = doc.kind is DocKind.COUNT and any(q < 0 for _, q in moves)
        cost = sum(int((abs(q) * (ln.cost or 0)).to_integral_value())
                   for (_, q), ln in zip(moves, doc.lines, strict=True))
        # a write-off or a count that found goods missing is what owners watch
        severity = Severity.WARNING if doc.kind is DocKind.WRITEOFF or short else None
        return audit.event(
            self.hub, Kind.STOCK_DOCUMENT, site=self.site, key=f"pos:stock:{doc.id}",
            amount=cost or None, reason=doc.reason, severity=severity,
            lines=[audit.line(code, q, 0, code=code) for code, q in moves],
            doc_id=doc.id, doc_kind=doc.kind.value, counterpart=doc.counterpart, ref=doc.ref,
            posted_by=by)

    async def levels(self, items: Sequence[str] | None = None) -> dict[str, Decimal]:
        """Each item's level now (only ``items`` when given; an item never moved: absent)."""
        site = self.site
        out: dict[str, Decimal] = await self.hub.write_sync(
            lambda conn: _levels(conn, site, items))
        return out


__all__ = ["DocKind", "Posted", "StockBook", "StockDoc", "StockError", "StockLine", "parse"]
