"""The console's analysis data on real PostgreSQL: sales and a return through the ingester,
then ``lag.analysis`` (``GET /api/pos/chain/v1/analysis?days=N``) for today, 7 and 30 local
days equals the seeded sums by store, hour, department and item (``nox -s integration``)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from kassa.testing import FakeClock
from kassa_pos.chain import lag
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import apply
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=MSK)  # the centre's clock: 2 December, afternoon
# (store, days before today, local hour, [(item, department, qty, price, discount)])
SALES = [
    ("S01", 0, 9, [("MILK", 1, "2", 8_900, 0), ("BREAD", 2, "1", 4_500, 500)]),
    ("S01", 0, 13, [("MILK", 1, "1", 8_900, 0)]),
    ("S02", 0, 13, [("CHEESE", 1, "0.350", 120_000, 0), ("BREAD", 2, "3", 4_500, 0)]),
    ("S01", 3, 18, [("CHEESE", 1, "1", 120_000, 2_000)]),
    ("S02", 6, 10, [("MILK", 1, "4", 8_900, 1_000)]),
    ("S03", 6, 23, [("BREAD", 2, "2", 4_500, 0)]),
    ("S02", 7, 12, [("MILK", 1, "1", 8_900, 0)]),  # 8 days ago: in 30 days, not in 7
    ("S03", 20, 11, [("TEA", 3, "1", 35_000, 0)]),
    ("S01", 29, 8, [("TEA", 3, "2", 35_000, 0)]),
    ("S01", 30, 8, [("TEA", 3, "5", 35_000, 0)]),  # 31 days ago: in none of the periods
]
RETURNED = 1  # the second sale's line goes back an hour later


def docs() -> tuple[list[ChainDoc], list[dict[str, Any]]]:
    """The documents and their lines as the sums should see them (a return negative)."""
    out: list[ChainDoc] = []
    lines: list[dict[str, Any]] = []
    seqs: Counter[str] = Counter()
    for n, (store, ago, hour, items) in enumerate(SALES):
        at = datetime.combine((NOW - timedelta(days=ago)).date(), datetime.min.time(),
                              tzinfo=MSK).replace(hour=hour, minute=10).astimezone(UTC)
        till = f"{store}-T1"
        seqs[till] += 1
        body_lines = []
        for i, (item, dep, qty, price, disc) in enumerate(items):
            amount = int(price * Decimal(qty)) - disc
            sl = {"item_code": item, "group": "", "department": dep, "discount": disc,
                  "quantity": qty, "amount": amount}
            body_lines.append({"line_no": i, "item_code": item, "quantity": qty,
                               "total": amount, "line": sl})
            lines.append({"store": store, "ago": ago, "hour": hour, "dep": dep, "item": item,
                          "qty": Decimal(qty), "amount": amount, "disc": disc, "doc": n})
        out.append(ChainDoc(doc_id=f"sale:{store}-{n}", store=store, till=till,
                            seq=seqs[till], kind="sale", at=at,
                            body={"check_id": f"{store}-{n}", "lines": body_lines,
                                  "cashier": "Иванова"}))
    sale = out[RETURNED]
    ln = sale.body["lines"][0]
    seqs[sale.till] += 1
    plan = {"check_id": sale.body["check_id"], "lines": [[0, ln["quantity"], ln["total"], 0]],
            "receipt": {"lines": []}}
    out.append(ChainDoc(doc_id=f"return:{sale.body['check_id']}:0", store=sale.store,
                        till=sale.till, seq=seqs[sale.till], kind="return",
                        at=sale.at + timedelta(hours=1), body={"plan": plan}))
    store, ago, hour, _ = SALES[RETURNED]
    lines.append({"store": store, "ago": ago, "hour": hour + 1, "dep": 1, "item": "MILK",
                  "qty": -Decimal(ln["quantity"]), "amount": -ln["total"], "disc": 0,
                  "doc": None})
    return out, lines


def fake_hub(engine: AsyncEngine) -> Any:
    names = {"S01": "Ленина 5", "S02": "Мира 1"}
    return SimpleNamespace(
        engine=engine, clock=FakeClock(NOW.astimezone(UTC)), api_token="t0ken",
        settings=SimpleNamespace(sites=[SimpleNamespace(code="S01", timezone="Europe/Moscow")]),
        site=lambda code: SimpleNamespace(code=code, name=names.get(code, code)))


def expected(lines: list[dict[str, Any]], days: int) -> dict[str, Any]:
    mine = [x for x in lines if x["ago"] < days]
    stores: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    hours: dict[int, list[Any]] = defaultdict(lambda: [set(), 0])
    deps: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, 0])
    items: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for x in mine:
        s = stores[x["store"]]
        s[0] += 1
        s[1] += x["amount"]
        s[2] += x["disc"] if x["amount"] > 0 else 0
        s[3] += -x["amount"] if x["amount"] < 0 else 0
        h = hours[x["hour"]]
        if x["doc"] is not None:
            h[0].add(x["doc"])
        h[1] += x["amount"]
        d = deps[x["dep"]]
        d[0] += 1
        d[1] += x["qty"]
        d[2] += x["amount"]
        d[3] += x["disc"]
        items[x["item"]][0] += x["qty"]
        items[x["item"]][1] += x["amount"]
    return {
        "stores": {k: tuple(v) for k, v in stores.items()},
        "hours": {k: (len(v[0]), v[1]) for k, v in hours.items()},
        "departments": {k: (v[0], v[1], v[2], v[3]) for k, v in deps.items()},
        "items": sorted(((k, v[0], v[1]) for k, v in items.items()),
                        key=lambda r: (-r[2], r[0])),
        "amount": sum(x["amount"] for x in mine),
        "checks": len({x["doc"] for x in mine if x["doc"] is not None})}


async def test_the_analysis_data_equals_the_seeded_sums_per_period(chain_engine):
    seeded, lines = docs()
    for d in seeded:
        async with chain_engine.begin() as c:
            assert await apply(c, d) == [d.doc_id]
    hub = fake_hub(chain_engine)
    got = {days: json.loads(json.dumps(await lag.analysis(hub, days))) for days in (1, 7, 30)}
    assert (got[1]["first"], got[1]["last"]) == ("2026-12-02", "2026-12-02")
    assert (got[30]["first"], got[30]["last"]) == ("2026-11-03", "2026-12-02")
    for days, data in got.items():
        exp = expected(lines, days)
        assert data["days"] == days
        assert {s["store"]: (s["lines"], s["amount"], s["discount"], s["returned"])
                for s in data["stores"]} == exp["stores"], days
        assert {h["hour"]: (h["checks"], h["amount"]) for h in data["hours"]} == exp["hours"]
        assert {d["department"]: (d["lines"], Decimal(d["qty"]), d["amount"], d["discount"])
                for d in data["departments"]} == exp["departments"], days
        assert [(i["item"], Decimal(i["qty"]), i["amount"]) for i in data["items"]] == \
            exp["items"], days
        totals = data["totals"]
        assert totals["amount"] == exp["amount"] == sum(h["amount"] for h in data["hours"]) \
            == sum(d["amount"] for d in data["departments"]), days
        assert totals["checks"] == exp["checks"], days
        assert totals["lines"] == sum(1 for x in lines if x["ago"] < days)
    assert [s["name"] for s in got[7]["stores"]] == ["Ленина 5", "Мира 1", "S03"]
    assert got[1]["totals"]["returned"] == 8_900  # today's return of the 13:00 milk
    assert got[1]["totals"]["amount"] == 8_900 * 3 + 4_500 - 500 + 42_000 + 13_500 - 8_900
    assert got[30]["totals"]["amount"] - got[7]["totals"]["amount"] == 8_900 + 35_000 * 3


async def test_the_analysis_route_takes_days_and_the_admin_token(chain_engine):
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    seeded, _ = docs()
    for d in seeded:
        async with chain_engine.begin() as c:
            await apply(c, d)
    hub = fake_hub(chain_engine)
    app = Litestar(route_handlers=[lag.router(hub)])
    auth = {"Authorization": "Bearer t0ken"}
    async with AsyncTestClient(app=app) as http:
        r = await http.get(f"{lag.PREFIX}/analysis", params={"days": 30}, headers=auth)
        assert r.status_code == 200
        assert r.json() == json.loads(json.dumps(await lag.analysis(hub, 30)))
        r = await http.get(f"{lag.PREFIX}/analysis", headers=auth)
        assert r.status_code == 200 and r.json()["days"] == 7  # the default
        for bad in (0, lag.MAX_DAYS + 1):
            r = await http.get(f"{lag.PREFIX}/analysis", params={"days": bad}, headers=auth)
            assert r.status_code == 400
        r = await http.get(f"{lag.PREFIX}/analysis", params={"days": 7})
        assert r.status_code == 401
