"""The reports through the hub's own reports API (what /report in chat and the console use)."""

from __future__ import annotations

import httpx
import pytest
from kassa.testing import eventually

from .conftest import APP, KEEPALIVE, idem, payment

pytestmark = pytest.mark.anyio


async def test_drivers_by_day_and_problems(api, hub, register):
    kinds = ["cash", "card", "cash"]
    ids = []
    for n, kind in enumerate(kinds):
        body = payment(f"R-{n}", payment={"kind": kind, "amount": 85000},
                       client={} if n == 2 else {"email": "ivan@example.ru"},
                       address={"phones": []})
        r = await api.post("/payments", json=body, headers=idem(f"r{n}"))
        ids.append(r.json()["job_id"])

    async def done() -> bool:
        got = [(await api.get(f"/jobs/{i}", headers=APP)).json() for i in ids]
        return all(j["status"] == "fiscalised" and j["copy"]["status"] != "pending"
                   for j in got)

    await eventually(done, hub=hub, within=30)
    admin = {"Authorization": "Bearer test-token"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.api_port}/api",
                                 headers=admin, timeout=30,
                                 limits=KEEPALIVE) as http:
        names = [r["name"] for r in (await http.get("/reports")).json()]
        assert {"delivery_drivers", "delivery_problems"} <= set(names)
        rep = (await http.get("/reports/delivery_drivers", params={"period": "today"})).json()
        assert [tuple(r[1:5]) for r in rep["rows"]] == [("Анна Водитель", 3, 170000, 85000)]
        assert rep["rows"][0][7] == 3  # no SMTP configured here: no copy went out
        probs = (await http.get("/reports/delivery_problems", params={"period": "today"})).json()
        assert len(probs["rows"]) == 3 and all(r[4:6] == ["продажа", "fiscalised"]
                                              for r in probs["rows"])
        check = (await http.get("/reports/delivery_day_check", params={"period": "today"}))
        assert [tuple(r[1:]) for r in check.json()["rows"]] == [(3, 255000, 255000, 0, 0)]
