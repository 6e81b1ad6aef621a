"""Refunds through the API on a running hub: a return-of-sale receipt (1054 = 2) on the same
office register, after its sale, to the kind the sale was paid with; never more than was paid
per line and in total, across refunds and under racing requests; a failed sale refuses; the
driver's summary and the reports count refunds."""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
import pytest
from kassa.testing import eventually

from .conftest import APP, DRIVER, idem, payment

pytestmark = pytest.mark.anyio
CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")


async def _job(api: Any, job_id: int) -> dict[str, Any]:
    r = await api.get(f"/jobs/{job_id}", headers=APP)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _wait(api: Any, hub: Any, job_id: int, status: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def ok() -> bool:
        seen.update(await _job(api, job_id))
        return bool(seen["status"] == status)

    await eventually(ok, hub=hub, within=30)
    return seen


async def _paid(api: Any, hub: Any, order: str, kind: str = "cash", **over: Any) -> int:
    body = payment(order, payment={"kind": kind, "amount": 85000}, **over)
    r = await api.post("/payments", json=body, headers=idem(f"pay-{order}"))
    assert r.status_code == 202, r.text
    return int(r.json()["job_id"])


def _refund(amount: int, lines: list[tuple[int, str]] | None = None, **over: Any
            ) -> dict[str, Any]:
    body: dict[str, Any] = {"amount": amount, **over}
    if lines is not None:
        body["lines"] = [{"line": n, "quantity": q} for n, q in lines]
    return body


def _refused(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and CYRILLIC.search(err["message"]), err


async def _sent(hub: Any, job_id: int) -> dict[str, Any]:
    entry = await hub.journal.get(f"delivery:{job_id}")
    assert entry is not None
    return dict(json.loads(entry.request))


async def test_a_partial_then_the_rest_refunded_as_returns_of_sale(api, hub, register):
    sale = await _paid(api, hub, "R-1", kind="card")
    await _wait(api, hub, sale, "fiscalised")
    # the buyer refuses one of the two bottles at the door
    r = await api.post("/orders/R-1/refunds", json=_refund(35000, [(1, "1")], reason="брак"),
                       headers=idem("ref-1"))
    assert r.status_code == 202, r.text
    assert r.headers["location"].endswith(f"/jobs/{r.json()['job_id']}")
    first = await _wait(api, hub, r.json()["job_id"], "fiscalised")
    assert first["kind"] == "refund" and first["refund"]["of_job"] == sale
    assert first["refund"]["lines"] == [{"line": 1, "quantity": "1", "total": 35000}]
    assert first["payment_id"] == "1" and first["amount"] == 35000
    sent = await _sent(hub, first["job_id"])
    assert sent["operation"] == 2 and sent["total"] == 35000  # 1054 = 2, 1020
    assert sent["payments"] == [{"kind": "electronic", "amount": 35000}]  # card back: 1081
    assert sent["customer_contact"] == "ivan@example.ru"  # the sale's 1008
    assert sent["cashier"]["name"] == "Иванова И. И."  # the office cashier, as the sale
    assert sent["original_date"] == "2026-11-24"
    # later the rest comes back: no lines = all that is left
    r = await api.post("/orders/R-1/refunds", json=_refund(50000, refund_id="2"),
                       headers=idem("ref-2"))
    rest = await _wait(api, hub, r.json()["job_id"], "fiscalised")
    assert rest["refund"]["lines"] == [{"line": 1, "quantity": "1", "total": 35000},
                                       {"line": 2, "quantity": "1", "total": 15000}]
    docs = [d for d in register.documents() if d.kind == "receipt"]
    assert [int(d.operation) for d in docs] == [1, 2, 2]
    # nothing left: one kopeck more is refused, nothing written
    r = await api.post("/orders/R-1/refunds", json=_refund(100, refund_id="3"),
                       headers=idem("ref-3"))
    _refused(r, 409, "refund_exceeds_paid")
    r = await api.post("/orders/R-1/refunds", json=_refund(35000, [(1, "1")], refund_id="4"),
                       headers=idem("ref-4"))
    _refused(r, 409, "refund_exceeds_paid")
    assert len((await api.get("/orders/R-1", headers=APP)).json()) == 3  # sale + 2 refunds
    s = (await api.get("/drivers/anna/summary", headers=DRIVER)).json()
    assert (s["jobs"], s["card"], s["refunds"], s["refunded_card"]) == (1, 85000, 2, 85000)


async def test_two_refunds_racing_for_the_last_unit(api, hub):
    sale = await _paid(api, hub, "R-2")
    await _wait(api, hub, sale, "fiscalised")
    answers: list[Any] = []

    async def one(n: int) -> None:
        answers.append(await api.post(
            "/orders/R-2/refunds", json=_refund(15000, [(2, "1")], refund_id=f"race-{n}"),
            headers=idem(f"race-{n}")))

    async with anyio.create_task_group() as tg:
        for n in range(2):
            tg.start_soon(one, n)
    codes = sorted(a.status_code for a in answers)
    assert codes == [202, 409], [a.text for a in answers]
    _refused(next(a for a in answers if a.status_code == 409), 409, "refund_exceeds_paid")
    jobs = (await api.get("/orders/R-2", headers=APP)).json()
    assert sum(j["kind"] == "refund" for j in jobs) == 1


async def test_a_refund_accepted_before_its_sale_is_fiscalised_waits_for_it(api, hub,
                                                                            register):
    register.offline = True
    sale = await _paid(api, hub, "R-3")
    r = await api.post("/orders/R-3/refunds", json=_refund(85000), headers=idem("ref-w"))
    assert r.status_code == 202, r.text
    refund = r.json()["job_id"]
    await hub.drain(timeout=0.3)
    assert (await _job(api, refund))["status"] == "queued"
    register.offline = False
    s = await _wait(api, hub, sale, "fiscalised")
    f = await _wait(api, hub, refund, "fiscalised")
    assert s["fiscal"]["fd"] < f["fiscal"]["fd"]


async def test_a_failed_sale_refuses_its_refund_and_fails_one_queued_behind_it(api, hub,
                                                                               register):
    register.offline = True
    sale = await _paid(api, hub, "R-4")
    r = await api.post("/orders/R-4/refunds", json=_refund(85000), headers=idem("ref-f"))
    refund = r.json()["job_id"]
    register.fn_full = True  # the register refuses the sale for good once it answers
    register.offline = False
    await _wait(api, hub, sale, "failed")
    failed = await _wait(api, hub, refund, "failed")
    assert "продажи" in failed["error"]
    r = await api.post("/orders/R-4/refunds", json=_refund(85000, refund_id="2"),
                       headers=idem("ref-f2"))
    _refused(r, 409, "sale_failed")
    assert register.effects("receipt") == 0


async def test_refusals_and_replays(api, hub):
    sale = await _paid(api, hub, "R-5")
    await _wait(api, hub, sale, "fiscalised")
    body = _refund(35000, [(1, "1")])
    r = await api.post("/orders/R-5/refunds", json=body, headers=idem("rr-1"))
    assert r.status_code == 202
    again = await api.post("/orders/R-5/refunds", json=body, headers=idem("rr-1"))
    assert again.json()["job_id"] == r.json()["job_id"]
    assert again.headers["idempotent-replay"] == "true"
    press = await api.post("/orders/R-5/refunds", json=body, headers=idem("rr-2"))
    assert press.json()["job_id"] == r.json()["job_id"]  # a double press: one refund
    _refused(await api.post("/orders/R-5/refunds", json=_refund(15000, [(2, "1")]),
                            headers=idem("rr-1")), 409, "idempotency_key_reused")
    _refused(await api.post("/orders/R-5/refunds", json=_refund(15000, [(2, "1")]),
                            headers=idem("rr-3")), 409, "refund_already_taken")
    _refused(await api.post("/orders/R-5/refunds", json=body, headers=APP), 400,
             "idempotency_key_missing")
    _refused(await api.post("/orders/R-5/refunds", json=_refund(1, [(2, "1")], refund_id="9"),
                            headers=idem("rr-4")), 422, "amount_mismatch")
    _refused(await api.post("/orders/R-5/refunds", json=_refund(1, [(7, "1")], refund_id="9"),
                            headers=idem("rr-5")), 422, "unknown_line")
    _refused(await api.post("/orders/R-5/refunds", json=_refund(0, [(2, "0")], refund_id="9"),
                            headers=idem("rr-6")), 422, "invalid_request")
    _refused(await api.post("/orders/NOPE/refunds", json=body, headers=idem("rr-7")), 404,
             "unknown_payment")
    _refused(await api.post("/orders/R-5/refunds", json={"amount": "x"},
                            headers=idem("rr-8")), 400, "invalid_request")
    _refused(await api.post("/orders/R-5/refunds", json=_refund(15000, [(2, "1")],
                                                                refund_id="9", driver="boris"),
                            headers=idem("rr-9", DRIVER)), 403, "driver_mismatch")
    r = await api.post("/payments", json=payment("R-6", driver="vera"), headers=idem("v", APP))
    assert r.json()["status"] == "skipped"
    _refused(await api.post("/orders/R-6/refunds", json=_refund(85000),
                            headers=idem("rr-10", APP)),
             409, "sale_without_receipt")
    jobs = (await api.get("/orders/R-5", headers=APP)).json()
    assert sum(j["kind"] == "refund" for j in jobs) == 1  # nothing written for a refusal


async def test_reports_count_refunds(api, hub):
    import httpx

    from .conftest import KEEPALIVE

    sale = await _paid(api, hub, "R-7")
    await _wait(api, hub, sale, "fiscalised")
    r = await api.post("/orders/R-7/refunds", json=_refund(15000, [(2, "1")]),
                       headers=idem("rep-1"))
    await _wait(api, hub, r.json()["job_id"], "fiscalised")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.api_port}/api",
                                 headers={"Authorization": "Bearer test-token"}, timeout=30,
                                 limits=KEEPALIVE) as http:
        rep = (await http.get("/reports/delivery_drivers", params={"period": "today"})).json()
        row = rep["rows"][0]
        assert (row[2], row[3], row[9], row[10]) == (1, 85000, 1, 15000)
        probs = (await http.get("/reports/delivery_problems", params={"period": "today"})).json()
        assert ["возврат", "fiscalised"] in [p[4:6] for p in probs["rows"]]  # its copy: no SMTP
        check = (await http.get("/reports/delivery_day_check", params={"period": "today"}))
        assert [tuple(r[1:]) for r in check.json()["rows"]] == [(1, 85000, 85000, 0, 0)]
