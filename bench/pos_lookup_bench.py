"""POS barcode look-up benchmark: ``Catalog.lookup`` (parse, index, price at the moment) on a
catalog of ``--items`` (1,000,000) generated items loaded from the store, against a bare dict
``barcode -> item code`` and a bare SQL primary-key look-up (``pos_barcode``, sqlite3, the
same file) in the same run. Goal: the catalog's p99 < 2 ms.

    uv run python bench/pos_lookup_bench.py [--items 1000000] [--lookups 100000] [--rounds 3]

The catalog is written into the tables of the plugin's migration with one bulk
``executemany`` per table (the store's raw writer), then ``Catalog.open`` loads it as a hub's
start would. The scans are the same list for every side: 90 % known EAN-13, 5 % weighed
in-store codes (by PLU), 5 % unknown; rounds alternate the sides so drift on a shared box
hits each. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class _Hub:
    def __init__(self, store: Any) -> None:
        self.engine = store.engine
        self.write_sync = store.write_sync
        self.clock = self

    def now(self) -> datetime:
        return datetime(2026, 3, 1, 12, tzinfo=UTC)

    def section(self, name: str, cls: type | None = None) -> Any:
        return None


def _write(conn: sqlite3.Connection, items: list[Any], prices: dict[str, int]) -> None:
    """One bulk executemany per table on the store's raw writer (``Store.run_write``), into
    the tables the plugin's migration made."""
    conn.executemany(
        "INSERT INTO pos_item (code, plu, name, unit, vat, department, item_group, flags)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((it.code, it.plu, it.name, int(it.unit), it.vat.value, it.department, it.group,
          int(it.flags)) for it in items))
    conn.executemany("INSERT INTO pos_barcode (barcode, item_code) VALUES (?, ?)",
                     ((b, it.code) for it in items for b in it.barcodes))
    conn.execute("INSERT INTO pos_price_list (code, name, priority) VALUES ('base', 'Базовый', 0)")
    conn.executemany("INSERT INTO pos_price (list_code, item_code, price) VALUES ('base', ?, ?)",
                     prices.items())
    conn.execute("UPDATE pos_catalog_version SET version = 1")


def _timed(fn: Callable[[str], Any], scans: list[str]) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for s in scans:
        t0 = clock()
        fn(s)
        out.append(clock() - t0)
    return out


def _stats(name: str, lat: list[int]) -> dict[str, Any]:
    lat = sorted(lat)
    return {"name": name, "lookups": len(lat),
            "p50_us": round(statistics.median(lat) / 1000, 2),
            "p99_us": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000, 2),
            "max_us": round(lat[-1] / 1000, 1)}


async def bench(n: int, lookups: int, rounds: int, tmp: Path) -> dict[str, Any]:
    import kassa_pos
    from kassa.store import Store
    from kassa_pos.engine.barcodes import DEFAULT_LAYOUTS, instore_code, layouts, with_check_digit
    from kassa_pos.engine.catalog import Catalog
    from kassa_pos.simstore import demo_items

    t0 = time.perf_counter()
    generated = list(demo_items(seed=1, n=n))
    items = [it for it, _ in generated]
    prices = {it.code: p for it, p in generated}
    t_gen = time.perf_counter() - t0
    print(f"generated {n} items in {t_gen:.1f} s", file=sys.stderr)

    url = f"sqlite+aiosqlite:///{tmp / 'kassa.db'}"
    store = Store(url, migrations={"pos": Path(kassa_pos.__file__).parent / "migrations"})
    await store.prepare()
    t0 = time.perf_counter()
    await store.run_write(lambda c: _write(c, items, prices))
    t_write = time.perf_counter() - t0
    print(f"written in {t_write:.1f} s", file=sys.stderr)

    t0 = time.perf_counter()
    cat = await Catalog.open(_Hub(store), site="s1", instore=layouts(DEFAULT_LAYOUTS))
    t_load = time.perf_counter() - t0
    print(f"index loaded in {t_load:.1f} s", file=sys.stderr)
    await store.close()

    rng = random.Random(2)
    with_codes = [it for it in items if it.barcodes]
    weighed = [it for it in items if it.plu is not None]
    lay = layouts(DEFAULT_LAYOUTS)["20"]
    scans: list[str] = []
    for _ in range(lookups):
        r = rng.random()
        if r < 0.90:
            scans.append(rng.choice(rng.choice(with_codes).barcodes))
        elif r < 0.95 and weighed:
            it = rng.choice(weighed)
            scans.append(instore_code("2" + str(rng.randrange(10)), lay, plu=it.plu or 0,
                                      grams=rng.randrange(50, 5000)))
        else:
            scans.append(with_check_digit(f"469{rng.randrange(10 ** 9):09d}"))

    bare = {b: it.code for it in cat.items() for b in it.barcodes}
    db = sqlite3.connect(tmp / "kassa.db")
    sql = "SELECT item_code FROM pos_barcode WHERE barcode = ?"

    def by_sql(s: str) -> Any:
        return db.execute(sql, (s,)).fetchone()

    sides: dict[str, Callable[[str], Any]] = {"dict": bare.get, "catalog": cat.lookup,
                                              "sql": by_sql}
    lat: dict[str, list[int]] = {k: [] for k in sides}
    for r in range(rounds):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            lat[name] += _timed(sides[name], scans)
    db.close()
    found = sum(1 for s in scans if cat.lookup(s) is not None)
    out = {name: _stats(name, v) for name, v in lat.items()}
    c, d, q = out["catalog"], out["dict"], out["sql"]
    return {
        "items": n, "barcodes": len(bare), "scans_found": f"{found}/{len(scans)}",
        "build_s": {"generate": round(t_gen, 1), "write": round(t_write, 1),
                    "load_index": round(t_load, 1)},
        "sides": list(out.values()),
        "ratio_p50_catalog_vs_dict": round(c["p50_us"] / d["p50_us"], 1),
        "ratio_p50_sql_vs_catalog": round(q["p50_us"] / c["p50_us"], 1),
        "goal_p99_under_2ms": c["p99_us"] < 2000,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    import anyio

    with tempfile.TemporaryDirectory() as tmp:
        result = anyio.run(bench, args.items, args.lookups, args.rounds, Path(tmp))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result["goal_p99_under_2ms"] else 1


if __name__ == "__main__":
    sys.exit(main())
