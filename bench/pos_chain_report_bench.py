"""Chain-wide sales report benchmark: ``--lines`` (10,000,000) sale / return lines in the
centre's analysis table (``pos_chain_line``, generated in SQL by ``generate_series``) and its
summaries per day and store / department / hour and per day and item (rebuilt each run by the
same upserts the ingester runs per document, ``analysis.fold_selects``), then the reports'
own queries (``kassa_pos.chain.analysis``) against a baseline in the same run: a bare
``SELECT count(*), sum(amount)`` over the same lines. Goal: a chain-wide sales report over
10M lines under 2 s.

    uv run python bench/pos_chain_report_bench.py [--lines 10000000] [--rounds 7] [--cleanup]

The data lives in its own schema (``pos_chain_bench``) and is kept between runs when it is
already there with the same line count (``--cleanup`` drops the schema at the end). 50 stores,
2 tills each, 90 days, lines in time order (as the ingester writes them), 20,000 items in 40
groups, 12 departments, 3 % returns, a third of the lines with a guest and a tenth with a
discount rule. Rounds alternate the queries so drift on a shared box hits each. Prints p50 /
p95 per query, a JSON summary and the EXPLAIN (ANALYZE, BUFFERS) plans.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from kassa_pos.chain import analysis as an
from kassa_pos.chain.ingest import day_t, hour_t, item_t, line_t

SCHEMA = "pos_chain_bench"
START = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
DAYS = 90
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# one line per g; a document is three consecutive lines; time grows with g
_FILL = """
INSERT INTO pos_chain_line (doc_id, line_no, store, till, at, day, hour, cashier, department,
    item_code, item_group, qty, amount, discount, rule, guest, sign)
SELECT CASE WHEN d % 33 = 0 THEN 'return:' ELSE 'sale:' END || d, (g % 3)::int,
       'S' || lpad((d % 50)::text, 2, '0'),
       'S' || lpad((d % 50)::text, 2, '0') || '-T' || (d % 2 + 1),
       t.at, (t.at AT TIME ZONE 'Europe/Moscow')::date,
       extract(hour FROM t.at AT TIME ZONE 'Europe/Moscow')::smallint,
       'cashier-' || (d % 50) || '-' || (d / 5000 % 4), (h % 12 + 1)::smallint,
       'I' || (h % 20000), 'G' || (h % 20000 % 40),
       s.sign * (1 + h % 3)::numeric(14, 3), s.sign * s.amount,
       s.sign * CASE WHEN h % 10 = 0 THEN s.amount / 10 ELSE 0 END,
       CASE WHEN h % 10 = 0 THEN 'rule-' || (h / 10 % 25) ELSE '' END,
       CASE WHEN d % 3 = 0 THEN 'guest-' || (hashint8(d) & 262143) END, s.sign
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g,
     LATERAL (SELECT g / 3 AS d, hashint8(g) & 2147483647 AS h) AS k,
     LATERAL (SELECT CAST(:start AS timestamptz)
                     + (g::float8 / CAST(:n AS float8)) * interval '{days} days' AS at) AS t,
     LATERAL (SELECT CASE WHEN d % 33 = 0 THEN -1 ELSE 1 END AS sign,
                     (4000 + h % 200000) AS amount) AS s
"""


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(f"{url}?options=-csearch_path%3D{SCHEMA}")


def prepare(url: str, n: int) -> dict[str, float]:
    """Fill the schema unless it already holds ``n`` lines; returns the times taken."""
    admin = sa.create_engine(url)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    admin.dispose()
    eng = _engine(url)
    took: dict[str, float] = {}
    with eng.begin() as c:
        have = c.execute(sa.text("SELECT to_regclass('pos_chain_line') IS NOT NULL")
                         ).scalar_one() and c.execute(
            sa.text("SELECT count(*) FROM pos_chain_line")).scalar_one()
    if have == n:
        print(f"reusing {n:,} lines in schema {SCHEMA}", file=sys.stderr)
    else:
        with eng.begin() as c:
            c.exec_driver_sql("DROP TABLE IF EXISTS pos_chain_line")
            line_t.create(c)  # as the migration makes it; indexes come after the fill
            for ix in list(line_t.indexes):
                ix.drop(c)
            c.exec_driver_sql("ALTER TABLE pos_chain_line DROP CONSTRAINT pos_chain_line_pkey")
        took.update(_fill(eng, n))
    # the summaries, rebuilt each run by the same upserts the ingester runs per document
    t0 = time.perf_counter()
    with eng.begin() as c:
        for t in (day_t, hour_t, item_t):
            t.drop(c, checkfirst=True)
            t.create(c)
        for stmt in an.fold_selects():
            c.execute(stmt)
    took["summaries_s"] = time.perf_counter() - t0
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for t in (line_t, day_t, hour_t, item_t):
            c.exec_driver_sql(f"VACUUM ANALYZE {t.name}")
    eng.dispose()
    return took


def _fill(eng: sa.Engine, n: int) -> dict[str, float]:
    took: dict[str, float] = {}
    t0 = time.perf_counter()
    step = 1_000_000
    fill = sa.text(_FILL.format(days=DAYS))
    for lo in range(1, n + 1, step):
        with eng.begin() as c:
            c.execute(fill, {"lo": lo, "hi": min(n, lo + step - 1), "start": START, "n": n})
        print(f"  {min(n, lo + step - 1):,} lines", file=sys.stderr)
    took["fill_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with eng.begin() as c:
        c.exec_driver_sql("ALTER TABLE pos_chain_line ADD PRIMARY KEY (doc_id, line_no)")
        for ix in line_t.indexes:
            ix.create(c)
    took["indexes_s"] = time.perf_counter() - t0
    return took


def _sale(n: int) -> Any:
    from kassa_pos.chain.documents import ChainDoc

    till = f"S{n % 20:02d}-T1"
    lines = [{"line_no": i, "item_code": f"I{(n * 7 + i) % 2000}", "quantity": "1",
              "total": 10000 + i, "bonus": 0,
              "line": {"department": i + 1, "discount": 100 * (i == 0),
                       "rule": "rule-1" if i == 0 else "", "group": f"G{i}"}}
             for i in range(3)]
    return ChainDoc(doc_id=f"sale:{n}", store=till[:3], till=till, seq=n // 20 + 1,
                    kind="sale", at=START + timedelta(seconds=n), body={
                        "check_id": str(n), "lines": lines, "guest": f"g{n % 500}",
                        "cashier": "c"})


async def _ingest_once(url: str, docs: list[Any], project: bool) -> list[float]:
    import uuid

    from kassa_pos.chain import ingest
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"pos_chain_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    eng = create_async_engine(f"{url}?options=-csearch_path%3D{schema}")
    async with eng.begin() as c:
        await c.run_sync(ingest.metadata.create_all)
    saved = an.project

    async def nothing(conn: Any, doc: Any, zone: Any = None) -> int:
        return 0

    an.project = saved if project else nothing
    times = []
    try:
        for d in docs:
            t0 = time.perf_counter()
            async with eng.begin() as c:
                await ingest.apply(c, d)
            times.append(time.perf_counter() - t0)
    finally:
        an.project = saved
        await eng.dispose()
        async with admin.begin() as c:
            await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        await admin.dispose()
    return times


def ingest_cost(url: str, n: int) -> dict[str, Any]:
    """``apply`` per document (3 lines) with the projection against without it."""
    import asyncio

    docs = [_sale(i) for i in range(n)]
    out: dict[str, Any] = {}
    for label, on in (("documents only", False), ("with projection", True)):
        t = asyncio.run(_ingest_once(url, docs, on))
        out[label] = {"docs_per_s": round(n / sum(t)), "p50_ms": round(
            statistics.median(t) * 1000, 2), "p95_ms": round(_pct(t, 0.95) * 1000, 2)}
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--url", default=PG)
    ap.add_argument("--cleanup", action="store_true", help="drop the schema at the end")
    ap.add_argument("--ingest", type=int, default=0, metavar="N",
                    help="only time ingest.apply of N sales with and without the projection")
    args = ap.parse_args()
    if args.ingest:
        print(json.dumps(ingest_cost(args.url, args.ingest), indent=1))
        return
    if args.lines < 3 or args.rounds < 1:
        ap.error("--lines must be at least 3 and --rounds at least 1")

    took = prepare(args.url, args.lines)
    a, b = START, START + timedelta(days=DAYS + 1)  # the whole chain, every day
    L = line_t
    queries: dict[str, Any] = {
        "baseline count(*), sum(amount)": sa.select(sa.func.count(), sa.func.sum(L.c.amount)),
        "sales by store (summary)": an.by_store(a, b),
        "sales by department (summary)": an.by_department(a, b),
        "sales by store (lines)": an.by_store_lines(a, b),
        "sales by hour (summary)": an.by_hour(a, b),
        "top 20 items (summary)": an.top_items(a, b),
        "sales by hour (lines)": an.by_hour_lines(a, b),
        "top 20 items (lines)": an.top_items_lines(a, b),
        "one store, one week by hour (lines, BRIN)": an.by_hour_lines(
            START + timedelta(days=30), START + timedelta(days=37), "S07"),
    }
    eng = _engine(args.url)
    times: dict[str, list[float]] = {k: [] for k in queries}
    results: dict[str, Any] = {}
    with eng.connect() as c:
        run: Callable[[Any], Any] = lambda q: c.execute(q).all()  # noqa: E731
        for k, q in queries.items():  # a warm-up round: the table into the OS cache
            results[k] = run(q)
        for _ in range(args.rounds):
            for k, q in queries.items():
                t0 = time.perf_counter()
                run(q)
                times[k].append(time.perf_counter() - t0)
        plans = {}
        for k in ("baseline count(*), sum(amount)", "sales by store (summary)",
                  "sales by store (lines)", "top 20 items (summary)"):
            compiled = queries[k].compile(dialect=c.dialect)
            plans[k] = "\n".join(r[0] for r in c.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params))
        size = c.execute(sa.text(
            "SELECT pg_total_relation_size('pos_chain_line'), "
            "pg_total_relation_size('pos_chain_sales_day'), "
            "(SELECT count(*) FROM pos_chain_sales_day), "
            "pg_relation_size('ix_pos_chain_line_at')")).one()
    eng.dispose()

    base = results["baseline count(*), sum(amount)"][0]
    by_store = results["sales by store (summary)"]
    same = (results["sales by hour (summary)"] == results["sales by hour (lines)"]
            and results["top 20 items (summary)"] == results["top 20 items (lines)"]
            and sum(int(r[1]) for r in by_store) == base[0]
            and sum(int(r[2]) for r in by_store) == int(base[1])
            and [tuple(r) for r in by_store] == [tuple(r) for r in
                                                  results["sales by store (lines)"]])
    summary = {
        "lines": args.lines, "rounds": args.rounds, **{k: round(v, 1) for k, v in took.items()},
        "line_table_mb": round(size[0] / 2**20), "summary_table_mb": round(size[1] / 2**20),
        "summary_rows": int(size[2]), "brin_kb": round(size[3] / 1024),
        "summary_equals_lines": same,
        "queries": {k: {"p50_ms": round(statistics.median(v) * 1000, 1),
                        "p95_ms": round(_pct(v, 0.95) * 1000, 1)} for k, v in times.items()},
    }
    for k, v in summary["queries"].items():
        print(f"{k:45s} p50 {v['p50_ms']:9.1f} ms   p95 {v['p95_ms']:9.1f} ms")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    for k, p in plans.items():
        print(f"\n-- EXPLAIN (ANALYZE, BUFFERS): {k}\n{p}")
    if args.cleanup:
        admin = sa.create_engine(args.url)
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {SCHEMA} CASCADE")
        admin.dispose()
    if not same:
        sys.exit("the summary's figures differ from the lines'")


if __name__ == "__main__":
    main()
