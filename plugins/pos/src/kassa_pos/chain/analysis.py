"""Chain-wide sales analysis: the ingester's projection of sales and returns into narrow
lines (``pos_chain_line``) and a per day / store / department summary
(``pos_chain_sales_day``), and the reports' queries over them. Every figure is a GROUP BY in
PostgreSQL: no line reaches Python.

What a document's body gives (the store's pos tables, chain/documents.py ``build``):
a sale has ``check_id``, ``receipt`` (the fiscal Receipt) and, when the store sends them,
``lines`` (its ``pos_pay_sale_line`` rows: ``line_no``, ``item_code``, ``total``, ``line``
= the SaleLine with ``department``, ``discount``, optional ``group`` / ``rule``), ``cashier``
and ``guest``. Without ``lines`` the receipt's lines stand in (item = product code or name,
no discount). A return's ``plan`` names the sale's lines it refunds (line_no, qty, money): the
sale's projected lines give them their item, department and rule; a return whose sale never
reached the centre falls back to the refund receipt's lines.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import day_t, hour_t, item_t, line_t

DEFAULT_ZONE = ZoneInfo("Europe/Moscow")  # the core's default site time zone
L, D, H, ITEM = line_t, day_t, hour_t, item_t


def _json(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return {}
    return v if v is not None else {}


def _rule(sl: Mapping[str, Any]) -> str:
    rule = sl.get("rule") or ", ".join(str(r) for r in sl.get("rules") or ())
    return str(rule)[:200]


def _cashier(body: Mapping[str, Any], receipt: Mapping[str, Any]) -> str:
    c = body.get("cashier") or (receipt.get("cashier") or {}).get("name") or ""
    return str(c)[:100]


def sale_lines(doc: ChainDoc) -> list[dict[str, Any]]:
    """A sale's analysis lines without store-level columns (see ``_common``)."""
    body = doc.body
    receipt = _json(body.get("receipt"))
    out: list[dict[str, Any]] = []
    if body.get("lines"):
        for i, row in enumerate(body["lines"]):
            sl = _json(row.get("line")) or {}
            amount = int(row.get("total", sl.get("amount", 0)))
            bonus = int(row.get("bonus") or 0)  # bonus paid as a discount on the line
            out.append({
                "line_no": int(row.get("line_no", i)),
                "item_code": str(row.get("item_code") or sl.get("item_code") or "")[:64],
                "item_group": str(row.get("group") or sl.get("group") or "")[:64],
                "department": int(sl.get("department") or row.get("department") or 0),
                "qty": Decimal(str(row.get("quantity", sl.get("quantity", 0)))),
                "amount": amount, "discount": int(sl.get("discount") or 0) + bonus,
                "rule": _rule(sl) or _rule(row)})
    else:
        for i, rl in enumerate(receipt.get("lines") or ()):
            out.append({
                "line_no": i, "item_code": str(rl.get("product_code") or rl.get("name"))[:64],
                "item_group": "", "department": 0,
                "qty": Decimal(str(rl.get("quantity", 0))), "amount": int(rl.get("total", 0)),
                "discount": 0, "rule": ""})
    return out


def _common(doc: ChainDoc, zone: tzinfo, cashier: str, guest: Any, sign: int
            ) -> dict[str, Any]:
    local = doc.at.astimezone(zone)
    return {"doc_id": doc.doc_id, "store": doc.store, "till": doc.till, "at": doc.at,
            "day": local.date(), "hour": local.hour, "cashier": cashier,
            "guest": str(guest)[:100] if guest else None, "sign": sign}


async def rows_of(conn: Any, doc: ChainDoc, zone: tzinfo | None = None
                  ) -> list[dict[str, Any]]:
    """A sale's or return's analysis lines (a return reads its sale's projected lines, so
    the sale's must be written first); other kinds: none."""
    if doc.kind not in ("sale", "return"):
        return []
    zone = zone or DEFAULT_ZONE
    body = doc.body
    if doc.kind == "sale":
        receipt = _json(body.get("receipt"))
        common = _common(doc, zone, _cashier(body, receipt), body.get("guest"), 1)
        return [{**common, **ln} for ln in sale_lines(doc)]
    plan = _json(body.get("plan"))
    receipt = _json(plan.get("receipt"))
    sold = await _sale_of(conn, plan.get("check_id") or body.get("check_id"))
    guest = sold[0] if sold else None
    common = _common(doc, zone, _cashier(plan, receipt), guest, -1)
    rows = []
    for n, (line_no, qty, money, _bonus) in enumerate(_plan_lines(plan)):
        orig = sold[1].get(line_no) if sold else None
        if orig is None:  # the sale is not here: the refund receipt's line stands in
            refund = receipt.get("lines") or []
            rl = refund[n] if n < len(refund) else {}
            orig = {"item_code": str(rl.get("product_code") or rl.get("name") or "?"),
                    "item_group": "", "department": 0, "rule": "", "qty": qty,
                    "discount": 0}
        share = qty / orig["qty"] if orig["qty"] else Decimal(1)
        rows.append({**common, "line_no": int(line_no), "item_code": orig["item_code"],
                     "item_group": orig["item_group"],
                     "department": orig["department"], "rule": orig["rule"],
                     "qty": -qty, "amount": -int(money),
                     "discount": -int((orig["discount"] * share).to_integral_value())})
    return rows


async def project(conn: Any, doc: ChainDoc, zone: tzinfo | None = None) -> int:
    """Write a freshly applied sale's or return's lines and fold them into the summaries,
    in the caller's transaction; returns the number of lines. Other kinds: nothing."""
    return await project_many(conn, [doc], lambda _store: zone)


async def project_many(conn: Any, docs: Sequence[ChainDoc],
                       zone: Callable[[str], tzinfo | None]) -> int:
    """``project`` for freshly applied documents in their order, with one lines insert and
    one set of summary upserts for them all (a sum over disjoint documents is the sum of
    their sums); returns the number of lines. A return's sale may be among them: what is
    pending is written before a return reads its sale's lines."""
    pending: list[dict[str, Any]] = []
    folded: list[str] = []
    count = 0
    for doc in docs:
        if doc.kind == "return" and pending:
            await conn.execute(_LINES, pending)
            pending = []
        rows = await rows_of(conn, doc, zone(doc.store))
        if rows:
            pending += rows
            folded.append(doc.doc_id)
            count += len(rows)
    if pending:
        await conn.execute(_LINES, pending)
    if folded:
        for stmt in _many_folds():
            await conn.execute(stmt, {"fold_docs": folded})
    return count


# one statement for every document's lines (executemany, compiled once): a multi-row VALUES
# of each document's own length was compiled anew every time
_LINES = pg_insert(L).on_conflict_do_nothing()


def return_lines(body: Mapping[str, Any]) -> tuple[str | None, list[tuple[int, Decimal]]]:
    """A return document's sale (its check id; None: a return without a receipt) and the
    sale's lines it gives back, as (0-based line number, quantity)."""
    plan = _json(body.get("plan"))
    check_id = plan.get("check_id") or body.get("check_id")
    return (str(check_id) if check_id else None,
            [(line_no, qty) for line_no, qty, _m, _b in _plan_lines(plan)])


def _plan_lines(plan: Mapping[str, Any]) -> list[tuple[int, Decimal, int, int]]:
    return [(int(r[0]), Decimal(str(r[1])), int(r[2]), int(r[3]) if len(r) > 3 else 0)
            for r in plan.get("lines") or ()]


async def _sale_of(conn: Any, check_id: Any) -> tuple[Any, dict[int, dict[str, Any]]] | None:
    """The projected lines of the sale a return refunds (by ``sale:<check_id>``)."""
    if not check_id:
        return None
    rows = (await conn.execute(sa.select(
        L.c.line_no, L.c.item_code, L.c.item_group, L.c.department, L.c.rule, L.c.qty,
        L.c.discount, L.c.guest).where(L.c.doc_id == f"sale:{check_id}"))).all()
    if not rows:
        return None
    return rows[0].guest, {int(r.line_no): {
        "item_code": r.item_code, "item_group": r.item_group, "department": r.department,
        "rule": r.rule, "qty": Decimal(r.qty), "discount": Decimal(int(r.discount))}
        for r in rows}


def _upsert(table: sa.Table, keys: list[str], agg: sa.Select[Any], add: list[str],
            keep: tuple[str, ...] = ()) -> Any:
    ins = pg_insert(table).from_select([*keys, *keep, *add], agg)
    set_ = {c: table.c[c] + ins.excluded[c] for c in add}
    # max() as the full GROUP BY takes it, so a rebuild gives the same rows
    set_.update({c: sa.func.greatest(table.c[c], ins.excluded[c]) for c in keep})
    return ins.on_conflict_do_update(index_elements=keys, set_=set_)


def fold_selects(doc_id: Any = None) -> list[Any]:
    """The summaries' upserts from a GROUP BY over one document's lines (``None``: over all
    lines, to rebuild them; an expanding ``bindparam``: built once, the documents' ids given
    at execution)."""
    def of(q: sa.Select[Any]) -> sa.Select[Any]:
        if isinstance(doc_id, sa.BindParameter) and doc_id.expanding:
            return q.where(L.c.doc_id.in_(doc_id))
        return q.where(L.c.doc_id == doc_id) if doc_id is not None else q

    returned = sa.func.sum(sa.case((L.c.sign < 0, -L.c.amount), else_=0))
    day = of(sa.select(L.c.day, L.c.store, L.c.department, sa.func.count(),
                       sa.func.sum(L.c.qty), sa.func.sum(L.c.amount),
                       sa.func.sum(L.c.discount), returned)
             .group_by(L.c.day, L.c.store, L.c.department))
    checks = sa.func.count(sa.distinct(sa.case((L.c.sign > 0, L.c.doc_id))))
    hour = of(sa.select(L.c.day, L.c.store, L.c.hour, checks, sa.func.sum(L.c.amount))
              .group_by(L.c.day, L.c.store, L.c.hour))
    item = of(sa.select(L.c.day, L.c.item_code, sa.func.max(L.c.item_group),
                        sa.func.sum(L.c.qty), sa.func.sum(L.c.amount))
              .group_by(L.c.day, L.c.item_code))
    return [
        _upsert(D, ["day", "store", "department"], day,
                ["lines", "qty", "amount", "discount", "returned"]),
        _upsert(H, ["day", "store", "hour"], hour, ["checks", "amount"]),
        _upsert(ITEM, ["day", "item_code"], item, ["qty", "amount"], keep=("item_group",)),
    ]


@functools.cache
def _many_folds() -> list[Any]:
    # built once: constructing three upserts per batch cost more than running them
    return fold_selects(sa.bindparam("fold_docs", expanding=True))


# --- the reports' queries: a period is [start, end) in UTC; the summary's by local days


def _days(start: datetime, end: datetime, zone: tzinfo) -> tuple[Any, Any]:
    return start.astimezone(zone).date(), end.astimezone(zone).date()


def by_store(start: datetime, end: datetime, store: str | None = None,
             zone: tzinfo = DEFAULT_ZONE) -> sa.Select[Any]:
    """Sales by store from the day summary (whole local days of the period)."""
    a, b = _days(start, end, zone)
    q = (sa.select(D.c.store, sa.func.sum(D.c.lines), sa.func.sum(D.c.amount),
                   sa.func.sum(D.c.discount), sa.func.sum(D.c.returned))
         .where(D.c.day >= a, D.c.day < b).group_by(D.c.store).order_by(D.c.store))
    return q.where(D.c.store == store) if store else q


def by_store_lines(start: datetime, end: datetime, store: str | None = None
                   ) -> sa.Select[Any]:
    """The same figures straight from the lines (the benchmark's comparison)."""
    q = (sa.select(L.c.store, sa.func.count(), sa.func.sum(L.c.amount),
                   sa.func.sum(L.c.discount),
                   sa.func.sum(sa.case((L.c.sign < 0, -L.c.amount), else_=0)))
         .where(L.c.at >= start, L.c.at < end).group_by(L.c.store).order_by(L.c.store))
    return q.where(L.c.store == store) if store else q


def by_department(start: datetime, end: datetime, store: str | None = None,
                  zone: tzinfo = DEFAULT_ZONE) -> sa.Select[Any]:
    a, b = _days(start, end, zone)
    q = (sa.select(D.c.department, sa.func.sum(D.c.lines), sa.func.sum(D.c.qty),
                   sa.func.sum(D.c.amount), sa.func.sum(D.c.discount))
         .where(D.c.day >= a, D.c.day < b).group_by(D.c.department)
         .order_by(D.c.department))
    return q.where(D.c.store == store) if store else q


def _lines_in(q: sa.Select[Any], start: datetime, end: datetime,
              store: str | None) -> sa.Select[Any]:
    q = q.where(L.c.at >= start, L.c.at < end)
    return q.where(L.c.store == store) if store else q


def by_hour(start: datetime, end: datetime, store: str | None = None,
            zone: tzinfo = DEFAULT_ZONE) -> sa.Select[Any]:
    """Checks and sales per local hour, from the hour summary (whole local days)."""
    a, b = _days(start, end, zone)
    q = (sa.select(H.c.hour, sa.func.sum(H.c.checks), sa.func.sum(H.c.amount))
         .where(H.c.day >= a, H.c.day < b).group_by(H.c.hour).order_by(H.c.hour))
    return q.where(H.c.store == store) if store else q


def by_hour_lines(start: datetime, end: datetime, store: str | None = None
                  ) -> sa.Select[Any]:
    """The same from the lines: a period shorter than a day, or one store's week (BRIN)."""
    checks = sa.func.count(sa.distinct(sa.case((L.c.sign > 0, L.c.doc_id))))
    return _lines_in(sa.select(L.c.hour, checks, sa.func.sum(L.c.amount)), start, end, store) \
        .group_by(L.c.hour).order_by(L.c.hour)


def by_cashier(start: datetime, end: datetime, store: str | None = None) -> sa.Select[Any]:
    checks = sa.func.count(sa.distinct(sa.case((L.c.sign > 0, L.c.doc_id))))
    total = sa.func.sum(L.c.amount)
    return _lines_in(sa.select(L.c.store, L.c.cashier, checks, total,
                               sa.func.sum(sa.case((L.c.sign < 0, -L.c.amount), else_=0))),
                     start, end, store) \
        .group_by(L.c.store, L.c.cashier).order_by(total.desc(), L.c.store, L.c.cashier)


def top_items(start: datetime, end: datetime, store: str | None = None, n: int = 20,
              zone: tzinfo = DEFAULT_ZONE) -> sa.Select[Any]:
    """The chain's top items from the item summary; one store's from its lines."""
    if store:
        return top_items_lines(start, end, store, n)
    a, b = _days(start, end, zone)
    total = sa.func.sum(ITEM.c.amount)
    return (sa.select(ITEM.c.item_code, sa.func.max(ITEM.c.item_group),
                      sa.func.sum(ITEM.c.qty), total)
            .where(ITEM.c.day >= a, ITEM.c.day < b).group_by(ITEM.c.item_code)
            .order_by(total.desc(), ITEM.c.item_code).limit(n))


def top_items_lines(start: datetime, end: datetime, store: str | None = None, n: int = 20
                    ) -> sa.Select[Any]:
    total = sa.func.sum(L.c.amount)
    return _lines_in(sa.select(L.c.item_code, sa.func.max(L.c.item_group),
                               sa.func.sum(L.c.qty), total), start, end, store) \
        .group_by(L.c.item_code).order_by(total.desc(), L.c.item_code).limit(n)


def by_group(start: datetime, end: datetime, store: str | None = None) -> sa.Select[Any]:
    total = sa.func.sum(L.c.amount)
    return _lines_in(sa.select(L.c.item_group, sa.func.count(sa.distinct(L.c.guest)),
                               sa.func.sum(L.c.qty), total), start, end, store) \
        .group_by(L.c.item_group).order_by(total.desc(), L.c.item_group)


def discounts(start: datetime, end: datetime, store: str | None = None) -> sa.Select[Any]:
    given = sa.func.sum(L.c.discount)
    return _lines_in(sa.select(L.c.rule, sa.func.count(), sa.func.count(sa.distinct(
        L.c.doc_id)), given, sa.func.sum(L.c.amount)), start, end, store) \
        .where(L.c.rule != "").group_by(L.c.rule).order_by(given.desc(), L.c.rule)


# RFM-like buckets: recency in days since the last visit at the period's end, visits and spend
RECENCY = (7, 30, 90)  # days: "≤7", "≤30", "≤90", "older"
FREQUENCY = (1, 3, 10)  # visits: "1", "2–3", "4–10", ">10"


def clients(start: datetime, end: datetime, store: str | None = None) -> sa.Select[Any]:
    """Guests bucketed by recency and frequency: guests, visits, spend per bucket."""
    per = _lines_in(sa.select(
        L.c.guest.label("guest"),
        sa.func.count(sa.distinct(sa.case((L.c.sign > 0, L.c.doc_id)))).label("visits"),
        sa.func.sum(L.c.amount).label("spend"), sa.func.max(L.c.at).label("last")),
        start, end, store).where(L.c.guest.is_not(None)).group_by(L.c.guest).subquery()
    age = sa.func.extract("epoch", sa.literal(end, sa.DateTime(timezone=True)) - per.c.last) \
        / 86400
    r = sa.case(*((age <= d, i) for i, d in enumerate(RECENCY)), else_=len(RECENCY))
    f = sa.case(*((per.c.visits <= v, i) for i, v in enumerate(FREQUENCY)),
                else_=len(FREQUENCY))
    rb, fb = r.label("r"), f.label("f")
    return (sa.select(rb, fb, sa.func.count(), sa.func.sum(per.c.visits),
                      sa.func.sum(per.c.spend))
            .group_by(rb, fb).order_by(rb, fb))


async def overview(conn: Any, start: datetime, end: datetime, zone: tzinfo = DEFAULT_ZONE,
                   n: int = 10) -> dict[str, Any]:
    """The console's analysis screen over whole local days of [start, end): sales by store,
    by local hour, by department and the top ``n`` items, from the reports' GROUP BYs over
    the summaries (``by_store``, ``by_hour``, ``by_department``, ``top_items``), and their
    totals. Money in kopecks, quantities as decimal strings (JSON-ready)."""
    async def run(q: sa.Select[Any]) -> Sequence[Any]:
        return (await conn.execute(q)).all()  # type: ignore[no-any-return]

    def num(v: Any) -> int:
        return int(v or 0)

    def qty(v: Any) -> str:
        return format(Decimal(v or 0).normalize(), "f")

    stores = [{"store": r[0], "lines": num(r[1]), "amount": num(r[2]),
               "discount": num(r[3]), "returned": num(r[4])}
              for r in await run(by_store(start, end, zone=zone))]
    hours = [{"hour": int(r[0]), "checks": num(r[1]), "amount": num(r[2])}
             for r in await run(by_hour(start, end, zone=zone))]
    departments = [{"department": int(r[0]), "lines": num(r[1]), "qty": qty(r[2]),
                    "amount": num(r[3]), "discount": num(r[4])}
                   for r in await run(by_department(start, end, zone=zone))]
    items = [{"item": r[0], "group": r[1] or "", "qty": qty(r[2]), "amount": num(r[3])}
             for r in await run(top_items(start, end, n=n, zone=zone))]
    totals = {k: sum(s[k] for s in stores) for k in ("lines", "amount", "discount", "returned")}
    totals["checks"] = sum(h["checks"] for h in hours)
    return {"stores": stores, "hours": hours, "departments": departments, "items": items,
            "totals": totals}
