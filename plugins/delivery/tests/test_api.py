"""The drivers' API over the hub's real HTTP server: accepted jobs, dedup, and the table of
bad input (each a 4xx with a code and a Russian message, nothing queued)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import APP, DRIVER, READER, idem, payment

pytestmark = pytest.mark.anyio


async def _count(hub: Any) -> int:
    import sqlalchemy as sa
    from kassa_delivery.schema import job

    async with hub.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(job))).scalar())


async def test_payment_is_accepted_and_replayed(api, hub):
    r = await api.post("/payments", json=payment(), headers=idem("k-1"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "fiscalised") and job["order_id"] == "A-1"
    assert r.headers["location"].endswith(f"/jobs/{job['job_id']}")
    again = await api.post("/payments", json=payment(), headers=idem("k-1"))
    assert again.status_code == 202 and again.json()["job_id"] == job["job_id"]
    assert again.headers["idempotent-replay"] == "true"
    # a double press: a new key, the same payment -> the same job
    press = await api.post("/payments", json=payment(), headers=idem("k-2"))
    assert press.json()["job_id"] == job["job_id"]
    assert await _count(hub) == 1
    got = await api.get(f"/jobs/{job['job_id']}", headers=DRIVER)
    assert got.status_code == 200 and got.json()["job_id"] == job["job_id"]
    by_order = await api.get("/orders/A-1", headers=DRIVER)
    assert [j["job_id"] for j in by_order.json()] == [job["job_id"]]


async def test_openapi_is_served(api):
    r = await api.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/delivery/v1/payments" in paths and "/api/delivery/v1/jobs/{job_id}" in paths


BAD: list[tuple[str, dict[str, Any], dict[str, str], int, str]] = [
    ("no key", payment(), {"Idempotency-Key": "x"}, 401, "unauthorized"),
    ("unknown key", payment(), {"X-Api-Key": "nope", "Idempotency-Key": "x"}, 401,
     "unauthorized"),
    ("key without pay right", payment(), idem("x", READER), 403, "forbidden"),
    ("driver key for another driver", payment(driver="boris"), idem("x"), 403,
     "driver_mismatch"),
    ("no idempotency key", payment(), DRIVER, 400, "idempotency_key_missing"),
    ("items do not add up", payment(amount=80000), idem("x"), 422, "amount_mismatch"),
    ("VAT 20% after 2025", payment(items=[{"name": "Вода", "price": 1000, "quantity": "1",
                                           "vat": "vat20"}], amount=1000),
     idem("x"), 422, "receipt_invalid"),
    ("e-mail like ivan@", payment(client={"name": "Иван", "email": "ivan@"}), idem("x"), 422,
     "invalid_email"),
    ("unknown office", payment(site="zz"), idem("x"), 422, "unknown_site"),
    ("unknown driver", payment(driver="zed"), idem("x", APP), 422, "unknown_driver"),
    ("unknown field", {**payment(), "tip": 5}, idem("x"), 400, "invalid_request"),
    ("bad quantity", payment(items=[{"name": "Вода", "price": 1000, "quantity": "-1",
                                     "vat": "vat22"}], amount=1000), idem("x"), 400,
     "invalid_request"),
    ("bad payment kind", payment(payment={"kind": "crypto", "amount": 85000}), idem("x"), 400,
     "invalid_request"),
    ("line total off", payment(items=[{"name": "Вода", "price": 1000, "quantity": "2",
                                       "total": 1500, "vat": "vat22"}], amount=1500),
     idem("x"), 422, "receipt_invalid"),
]


@pytest.mark.parametrize(("body", "headers", "status", "code"),
                         [b[1:] for b in BAD], ids=[b[0] for b in BAD])
async def test_bad_input(api, hub, body, headers, status, code):
    r = await api.post("/payments", json=body, headers=headers)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert any("а" <= ch <= "я" for ch in err["message"].lower()), err["message"]
    assert "drv-anna-key" not in r.text
    assert await _count(hub) == 0


async def test_same_key_other_body_and_same_order_other_body(api, hub):
    assert (await api.post("/payments", json=payment(), headers=idem("k"))).status_code == 202
    r = await api.post("/payments", json=payment("A-2"), headers=idem("k"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused"
    other = payment(items=[{"name": "Вода 19 л", "price": 35000, "quantity": "1",
                            "vat": "vat22"}], amount=35000)
    r = await api.post("/payments", json=other, headers=idem("k-new"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "payment_already_taken"
    assert await _count(hub) == 1


async def test_unknown_job_and_bad_summary(api):
    r = await api.get("/jobs/999", headers=DRIVER)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
    r = await api.get("/drivers/anna/summary", params={"day": "2026-13-01"}, headers=DRIVER)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_date"
    r = await api.get("/drivers/boris/summary", headers=DRIVER)
    assert r.status_code == 403 and r.json()["error"]["code"] == "driver_mismatch"
    r = await api.get("/orders/NOPE-1", headers=DRIVER)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_order"
    assert "заказу" in r.json()["error"]["message"]
    r = await api.get("/nowhere", headers=DRIVER)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
