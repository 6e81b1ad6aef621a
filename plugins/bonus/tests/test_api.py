"""REST API: auth and scopes, idempotency, error envelope, the ledger through HTTP."""

from __future__ import annotations

import httpx
import kassa_bonus
import pytest
from litestar import Litestar

from plugins.bonus.tests.conftest import api_settings, asgi_transport

pytestmark = pytest.mark.anyio
W = {"X-Api-Key": "site-key-123"}
R = {"X-Api-Key": "read-key-456"}


@pytest.fixture
async def client(hub):
    hub._bonus = api_settings()
    app = Litestar(route_handlers=kassa_bonus.register_routes(hub), logging_config=None)
    async with httpx.AsyncClient(transport=asgi_transport(app),
                                 base_url="http://t/api/bonus/v1") as c:
        yield c


def idem(key: str, h=W) -> dict[str, str]:
    return {**h, "Idempotency-Key": key}


async def test_auth_and_scopes(client):
    r = await client.get("/identify", params={"identifier": "1"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = await client.get("/identify", params={"identifier": "1"}, headers={"X-Api-Key": "nope"})
    assert r.status_code == 401
    r = await client.post("/guests", json={"name": "A"}, headers=idem("k", R))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert "read-key" not in r.text


async def test_idempotency_key_required_and_replayed(client):
    r = await client.post("/guests", json={"name": "Anna"}, headers=W)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    first = await client.post("/guests", json={"name": "Anna", "phone": "+79161234567"},
                              headers=idem("g-1"))
    assert first.status_code == 201
    again = await client.post("/guests", json={"name": "Anna", "phone": "+79161234567"},
                              headers=idem("g-1"))
    assert again.json() == first.json()
    other = await client.post("/guests", json={"name": "Boris"}, headers=idem("g-1"))
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    dup = await client.post("/guests", json={"name": "X", "phone": "8 916 123-45-67"},
                            headers=idem("g-2"))
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "phone_taken"


async def test_money_flow_over_http(client):
    g = (await client.post("/guests", json={"name": "Anna", "card": "777"},
                           headers=idem("g"))).json()
    guest = (await client.get("/identify", params={"identifier": "777"}, headers=R)).json()
    assert guest["id"] == g["guest_id"]
    bonus = next(a["id"] for a in guest["accounts"] if a["kind"] == "bonus")
    e = await client.post("/earn", json={"account": bonus, "amount": 1000}, headers=idem("e"))
    assert e.status_code == 201 and e.json()["balance"] == 1000
    h = (await client.post("/holds", json={"account": bonus, "amount": 700},
                           headers=idem("h"))).json()
    over = await client.post("/holds", json={"account": bonus, "amount": 301}, headers=idem("h2"))
    assert over.status_code == 422 and over.json()["error"]["code"] == "insufficient_funds"
    c = await client.post(f"/holds/{h['hold']}/capture", json={"amount": 500}, headers=idem("c"))
    assert c.json()["balance"] == 500
    again = await client.post(f"/holds/{h['hold']}/void", headers=idem("v"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "hold_captured"
    rf = await client.post(f"/holds/{h['hold']}/refund", json={"amount": 200}, headers=idem("r"))
    assert rf.json()["balance"] == 700
    bal = (await client.get(f"/guests/{g['guest_id']}/balances", headers=R)).json()
    assert next(a for a in bal["accounts"] if a["kind"] == "bonus")["available"] == 700
    page = (await client.get(f"/guests/{g['guest_id']}/history", params={"limit": 2},
                             headers=R)).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    q = await client.post("/quote", json={"guest_id": g["guest_id"], "number": "1",
                                          "lines": [{"code": "soup", "amount": 10000}]},
                          headers=R)
    assert q.json()["bonus_earn"] == 500 and q.json()["bonus_spend_max"] == 700 // 1 and True
    chk = await client.post("/checks", json={"guest_id": g["guest_id"], "number": "1",
                                             "spend": 300,
                                             "lines": [{"code": "soup", "amount": 10000}]},
                            headers=idem("chk"))
    assert chk.status_code == 201 and chk.json()["spent"] == 300
    rv = await client.post(f"/operations/{chk.json()['operation']}/reverse", headers=idem("rv"))
    assert rv.status_code == 200 and rv.json()["balance"] == 700
    rv2 = await client.post(f"/operations/{chk.json()['operation']}/reverse", headers=idem("rv2"))
    assert rv2.json()["error"]["code"] == "already_reversed"


async def test_errors_are_envelopes(client):
    r = await client.get("/guests/nope", headers=R)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_guest"
    r = await client.post("/earn", json={"account": "x", "amount": -5}, headers=idem("e"))
    assert r.status_code == 400 and "amount" in r.json()["error"]["message"]
    r = await client.post("/earn", content=b"{not json", headers=idem("e2"))
    assert r.status_code == 400
    r = await client.post("/identifiers/block", json={"kind": "card", "value": "1",
                                                      "reason": "lost"}, headers=idem("b"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_identifier"


async def test_reports_over_http(client):
    await client.post("/guests", json={"name": "Anna"}, headers=idem("g"))
    r = await client.get("/reports/bonus_balances", headers=R, params={
        "start": "2026-01-01T00:00:00+03:00", "end": "2026-12-31T00:00:00+03:00"})
    assert r.status_code == 200 and r.json()["rows"][0][0] == "bonus"
    r = await client.get("/reports/nope", headers=R, params={
        "start": "2026-01-01T00:00:00+03:00", "end": "2026-12-31T00:00:00+03:00"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_report"
    r = await client.get("/reports/bonus_balances", headers=R, params={
        "start": "2026-01-01T00:00:00", "end": "2026-12-31T00:00:00"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_period"
