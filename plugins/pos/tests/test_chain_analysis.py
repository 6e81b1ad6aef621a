"""Chain sales analysis on real PostgreSQL: documents through the ingester -> the reports'
figures equal a Python recomputation of the same documents; a redelivery changes nothing; a
return subtracts (``nox -s integration``)."""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from kassa.model import Period, Report
from kassa_pos.chain.analysis import fold_selects
from kassa_pos.chain.analysis_reports import definitions
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import apply, day_t, hour_t, item_t, line_t
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
PERIOD = Period(start=datetime(2026, 11, 1, 0, 0, tzinfo=MSK).astimezone(UTC),
                end=datetime(2026, 12, 1, 0, 0, tzinfo=MSK).astimezone(UTC), label="ноябрь")
RULES = ("", "", "2+1 вода", "скидка 10% молоко")


@pytest.fixture
def engine(chain_engine: AsyncEngine) -> AsyncEngine:
    return chain_engine  # conftest.py: a fresh schema with the chain's tables


def sale(n: int, rnd: random.Random, store: str, till: str, seq: int) -> ChainDoc:
    at = T0 + timedelta(days=rnd.randrange(25), hours=rnd.randrange(14),
                        minutes=rnd.randrange(60))
    lines = []
    for i in range(rnd.randint(1, 4)):
        qty = Decimal(rnd.choice(("1", "2", "0.750")))
        price = rnd.randrange(50, 5000)
        disc = rnd.choice((0, 0, rnd.randrange(1, 40)))
        rule = RULES[rnd.randrange(len(RULES))] if disc else ""
        amount = int(price * qty) - disc
        sl = {"item_code": f"I{rnd.randrange(12)}", "group": f"G{rnd.randrange(3)}",
              "department": rnd.randrange(1, 4), "discount": disc, "rule": rule,
              "quantity": str(qty), "amount": amount}
        lines.append({"line_no": i, "item_code": sl["item_code"], "quantity": str(qty),
                      "total": amount, "bonus": 0, "line": sl})
    guest = rnd.choice((None, "g1", "g2", "g3", "g4"))
    return ChainDoc(doc_id=f"sale:{store}-{n}", store=store, till=till, seq=seq, kind="sale",
                    at=at, body={"check_id": f"{store}-{n}", "total": sum(
                        x["total"] for x in lines), "lines": lines, "guest": guest,
                        "cashier": rnd.choice(("Иванова", "Петров")), "issued_at": at})


def refund(s: ChainDoc, seq: int, line_no: int) -> ChainDoc:
    ln = s.body["lines"][line_no]
    plan = {"check_id": s.body["check_id"], "lines": [[line_no, ln["quantity"], ln["total"], 0]],
            "receipt": {"lines": [], "cashier": {"name": "Петров"}}}
    return ChainDoc(doc_id=f"return:{s.body['check_id']}:{line_no}", store=s.store,
                    till=s.till, seq=seq, kind="return", at=s.at + timedelta(hours=1),
                    body={"key": f"r-{s.doc_id}", "check_id": s.body["check_id"],
                          "plan": plan})


def expected_lines(docs: list[ChainDoc]) -> list[dict[str, Any]]:
    """The same documents recomputed in Python: one dict per line, returns negative."""
    sales = {d.body["check_id"]: d for d in docs if d.kind == "sale"}
    out = []
    for d in docs:
        if d.kind == "sale":
            for ln in d.body["lines"]:
                out.append({"store": d.store, "doc": d.doc_id, "at": d.at,
                            "hour": d.at.astimezone(MSK).hour, "dep": ln["line"]["department"],
                            "item": ln["item_code"], "qty": Decimal(ln["quantity"]),
                            "amount": ln["total"], "disc": ln["line"]["discount"],
                            "rule": ln["line"]["rule"], "guest": d.body["guest"],
                            "cashier": d.body["cashier"], "sign": 1})
        else:
            s = sales[d.body["check_id"]]
            for line_no, qty, money, _ in d.body["plan"]["lines"]:
                ln = s.body["lines"][line_no]
                out.append({"store": d.store, "doc": d.doc_id, "at": d.at,
                            "hour": d.at.astimezone(MSK).hour, "dep": ln["line"]["department"],
                            "item": ln["item_code"], "qty": -Decimal(qty), "amount": -money,
                            "disc": -ln["line"]["discount"], "rule": ln["line"]["rule"],
                            "guest": s.body["guest"], "cashier": "Петров", "sign": -1})
    return out


def chain_docs() -> list[ChainDoc]:
    rnd = random.Random(16)
    docs: list[ChainDoc] = []
    seqs: Counter[str] = Counter()
    for n in range(60):
        store = ("S01", "S02", "S03")[n % 3]
        till = f"{store}-T{n % 2 + 1}"
        seqs[till] += 1
        docs.append(sale(n, rnd, store, till, seqs[till]))
    for s in docs[:9:2]:  # a few returns, each of the sale's first line
        seqs[s.till] += 1
        docs.append(refund(s, seqs[s.till], 0))
    return docs


async def ingest(engine: AsyncEngine, docs: list[ChainDoc]) -> None:
    for d in docs:
        async with engine.begin() as c:
            await apply(c, d)


async def reports(engine: AsyncEngine, site: str | None = None) -> dict[str, Report]:
    ctx = SimpleNamespace(hub=SimpleNamespace(engine=engine), locale="ru")
    return {r.name: await r.build(ctx, site, PERIOD) for r in definitions()}


async def test_reports_equal_a_python_recomputation_of_the_documents(engine):
    docs = chain_docs()
    await ingest(engine, docs)
    exp = expected_lines(docs)
    got = await reports(engine)
    assert all(r.rows for r in got.values())  # every report has something to compare
    from kassa.reports.render import table_text

    for rep in got.values():  # money as kopecks ints, so the renderers write rubles
        assert "\u00a0₽" in table_text(rep, "ru"), rep.name

    by_store: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for x in exp:
        s = by_store[x["store"]]
        s[0] += 1
        s[1] += x["amount"]
        s[2] += x["disc"]
        s[3] += -x["amount"] if x["sign"] < 0 else 0
    assert [tuple(r) for r in got["pos_chain_sales_store"].rows] == [
        (k, *v) for k, v in sorted(by_store.items())]
    totals = got["pos_chain_sales_store"].totals
    assert totals is not None and totals[2] == sum(x["amount"] for x in exp)

    deps: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, 0])
    for x in exp:
        d = deps[x["dep"]]
        d[0] += 1
        d[1] += x["qty"]
        d[2] += x["amount"]
        d[3] += x["disc"]
    assert [tuple(r) for r in got["pos_chain_sales_department"].rows] == [
        (k, *v) for k, v in sorted(deps.items())]

    hours: dict[int, tuple[set[str], list[int]]] = defaultdict(lambda: (set(), [0]))
    for x in exp:
        if x["sign"] > 0:  # checks: sales only
            hours[x["hour"]][0].add(x["doc"])
        hours[x["hour"]][1][0] += x["amount"]
    assert [tuple(r) for r in got["pos_chain_sales_hour"].rows] == [
        (h, len(v[0]), v[1][0]) for h, v in sorted(hours.items())]

    cash: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [set(), 0, 0])
    for x in exp:
        c = cash[(x["store"], x["cashier"])]
        if x["sign"] > 0:
            c[0].add(x["doc"])
        c[1] += x["amount"]
        c[2] += -x["amount"] if x["sign"] < 0 else 0
    assert sorted(tuple(r) for r in got["pos_chain_sales_cashier"].rows) == sorted(
        (s, c, len(v[0]), v[1], v[2]) for (s, c), v in cash.items())

    items: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for x in exp:
        items[x["item"]][0] += x["qty"]
        items[x["item"]][1] += x["amount"]
    top = sorted(items.items(), key=lambda kv: (-kv[1][1], kv[0]))[:20]
    assert [(r[0], r[2], r[3]) for r in got["pos_chain_top_items"].rows] == [
        (k, *v) for k, v in top]

    rules: dict[str, list[Any]] = defaultdict(lambda: [0, set(), 0, 0])
    for x in exp:
        if x["rule"]:
            r = rules[x["rule"]]
            r[0] += 1
            r[1].add(x["doc"])
            r[2] += x["disc"]
            r[3] += x["amount"]
    assert sorted(tuple(r) for r in got["pos_chain_discounts"].rows) == sorted(
        (k, v[0], len(v[1]), v[2], v[3]) for k, v in rules.items())

    guests: dict[str, list[Any]] = defaultdict(lambda: [set(), 0, T0])
    for x in exp:
        if x["guest"]:
            g = guests[x["guest"]]
            if x["sign"] > 0:
                g[0].add(x["doc"])
            g[1] += x["amount"]
            g[2] = max(g[2], x["at"])
    buckets: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for visits, spend, last in guests.values():
        age = (PERIOD.end - last).total_seconds() / 86400
        rb = next((i for i, d in enumerate((7, 30, 90)) if age <= d), 3)
        fb = next((i for i, v in enumerate((1, 3, 10)) if len(visits) <= v), 3)
        b = buckets[(rb, fb)]
        b[0] += 1
        b[1] += len(visits)
        b[2] += spend
    rec, freq = ("≤ 7 дн.", "≤ 30 дн.", "≤ 90 дн.", "давно"), ("1", "2–3", "4–10", "> 10")
    assert [tuple(r) for r in got["pos_chain_clients"].rows] == [
        (rec[r], freq[f], *v) for (r, f), v in sorted(buckets.items())]
    assert sum(r[2] for r in got["pos_chain_clients"].rows) == len(guests)

    one = await reports(engine, "S02")  # one store: its own figures only
    assert [tuple(r) for r in one["pos_chain_sales_store"].rows] == [("S02", *by_store["S02"])]
    mine: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for x in exp:
        if x["store"] == "S02":
            mine[x["item"]][0] += x["qty"]
            mine[x["item"]][1] += x["amount"]
    assert [(r[0], r[2], r[3]) for r in one["pos_chain_top_items"].rows] == [
        (k, *v) for k, v in sorted(mine.items(), key=lambda kv: (-kv[1][1], kv[0]))[:20]]


async def test_a_redelivered_document_changes_nothing_and_a_return_subtracts(engine):
    docs = chain_docs()
    sales = [d for d in docs if d.kind == "sale"]
    await ingest(engine, sales)
    before = await reports(engine)
    async with engine.connect() as c:
        lines = (await c.execute(sa.select(sa.func.count()).select_from(line_t))).scalar_one()
    await ingest(engine, sales[:10])  # a redelivery of applied documents
    assert await reports(engine) == before
    async with engine.connect() as c:
        assert (await c.execute(sa.select(sa.func.count()).select_from(line_t))
                ).scalar_one() == lines

    s = sales[0]
    seq = max(d.seq for d in sales if d.till == s.till) + 1
    # the same sale numbered again by its store (a new seq, the same doc_id): no new lines
    import attrs

    await ingest(engine, [attrs.evolve(s, seq=seq)])
    assert await reports(engine) == before
    seq += 1
    ret = refund(s, seq, 0)
    await ingest(engine, [ret, ret])  # the return, and its repeat
    after = await reports(engine)
    row = dict((r[0], r) for r in before["pos_chain_sales_store"].rows)[s.store]
    new = dict((r[0], r) for r in after["pos_chain_sales_store"].rows)[s.store]
    money = s.body["lines"][0]["total"]
    assert new[2] == row[2] - money and new[4] == row[4] + money and new[1] == row[1] + 1
    async with engine.connect() as c:
        day = (await c.execute(sa.select(sa.func.sum(day_t.c.amount)))).scalar_one()
        raw = (await c.execute(sa.select(sa.func.sum(line_t.c.amount)))).scalar_one()
    assert day == raw == sum(d.body["total"] for d in sales) - money


async def test_the_summaries_kept_per_document_equal_a_rebuild_from_the_lines(engine):
    await ingest(engine, chain_docs())
    tables = (day_t, hour_t, item_t)

    async def contents() -> list[list[tuple[Any, ...]]]:
        async with engine.connect() as c:
            return [sorted(tuple(r) for r in await c.execute(sa.select(t))) for t in tables]

    kept = await contents()
    assert all(kept)
    async with engine.begin() as c:
        for t in tables:
            await c.execute(t.delete())
        for stmt in fold_selects():
            await c.execute(stmt)
    assert await contents() == kept


async def test_a_store_hub_on_sqlite_answers_with_a_note_not_an_error(tmp_path):
    import kassa_pos
    from kassa.testing import make_hub

    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        ctx = SimpleNamespace(hub=hub, locale="ru")
        for rep in definitions():
            got = await rep.build(ctx, None, PERIOD)
            assert got.rows == () and "центре сети" in got.notes[0]
