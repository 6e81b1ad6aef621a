"""The simulator on its own, over a socket, with bodies shaped as rkeeper.md §4 shows them
(fixtures/), not only with our client: auth, validation, idempotency, outage, read-outs."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kassa_lime.sim import PASSWORD, USERNAME, LimeSimulator

pytestmark = pytest.mark.anyio
FIX = Path(__file__).parent / "fixtures"
API = "/api/CashdeskServer"


def fixture(name: str) -> Any:
    return json.loads((FIX / name).read_text(encoding="utf-8"))


@pytest.fixture
async def sim() -> AsyncIterator[LimeSimulator]:
    s = LimeSimulator()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def http(sim: LimeSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.url) as c:
        r = await c.post("/connect/token", data={"client_id": "Jade.Api",
                                                 "grant_type": "password",
                                                 "username": USERNAME, "password": PASSWORD})
        assert r.status_code == 200
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        c.headers["X-Refresh"] = r.json()["refresh_token"]
        await c.post(f"{API}/OpenShift", params={"cashdeskId": 210})
        yield c


async def check_id(http: httpx.AsyncClient) -> int:
    r = await http.get(f"{API}/GetNextCheckId", params={"cashdeskId": 210})
    return int(r.json()["id"])


async def body_with_id(http: httpx.AsyncClient, **entry: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(fixture("putcheck_rkeeper_md_s4.json"))
    body["check"]["id"] = await check_id(http)
    body["entries"][0]["entry"].update(entry)
    return body


def pay(body: dict[str, Any], *payments: tuple[str, str]) -> dict[str, Any]:
    body["entries"][0]["payments"] = [
        {"checkEntryId": 0, "id": 0, "processingId": 3, "amount": a,
         "transactionReference": ref, "checkEntryDiscounts": ""} for a, ref in payments]
    return body


async def test_token_grants_as_identityserver_answers(sim: LimeSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as c:
        bad = await c.post("/connect/token", data={"client_id": "Jade.Api", "grant_type":
                                                   "password", "username": USERNAME,
                                                   "password": "wrong"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
        other = await c.post("/connect/token", data={"client_id": "X", "grant_type": "password"})
        assert other.json()["error"] == "invalid_client"
        ok = await c.post("/connect/token", data={"client_id": "Jade.Api", "grant_type":
                                                  "password", "username": USERNAME,
                                                  "password": PASSWORD})
        tok = ok.json()
        assert tok["token_type"] == "Bearer" and tok["expires_in"] > 0
        form = {"client_id": "Jade.Api", "grant_type": "refresh_token",
                "refresh_token": tok["refresh_token"]}
        assert (await c.post("/connect/token", data=form)).status_code == 200
        again = await c.post("/connect/token", data=form)
        assert again.json()["error"] == "invalid_grant", "a refresh token is used once"


async def test_a_call_without_a_valid_token_is_401(sim: LimeSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as c:
        r = await c.get(f"{API}/GetCardInfo", params={"installationId": 79, "uid": "7799000"})
        assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]


async def test_card_info_has_rights_in_kopecks_with_expiry(http: httpx.AsyncClient) -> None:
    r = await http.get(f"{API}/GetCardInfo", params={"installationId": 79, "uid": "7799000"})
    assert r.json() == fixture("getcardinfo_777.json")
    unknown = await http.get(f"{API}/GetCardInfo", params={"installationId": 79, "uid": "X"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "card_not_found"


async def test_the_s4_body_is_accepted_once(http: httpx.AsyncClient, sim: LimeSimulator
                                            ) -> None:
    body = await body_with_id(http)
    r = await http.post(f"{API}/PutCheck", json=body)
    assert r.status_code == 200 and r.json()["id"] == body["check"]["id"]
    assert r.json()["entries"][0]["entry"] == 1
    again = await http.post(f"{API}/PutCheck", json=body)
    assert again.status_code == 409 and again.json()["error"] == "check_exists"
    assert sim.model.put_checks == 1


@pytest.mark.parametrize(("change", "code"), [
    ({"price": "150.00", "count": 2}, "sum_mismatch"),
    ({"goodTypeId": 9999}, "unknown_good_type"),
    ({"basePrice": "100.00"}, "bad_price"),
])
async def test_entries_that_do_not_add_up_are_refused(http: httpx.AsyncClient,
                                                      change: dict[str, Any], code: str) -> None:
    r = await http.post(f"{API}/PutCheck", json=await body_with_id(http, **change))
    assert r.status_code == 400 and r.json()["error"] == code and r.json()["message"]


async def test_rights_rules(http: httpx.AsyncClient, sim: LimeSimulator) -> None:
    unknown = pay(await body_with_id(http), ("150.00", "card:777/right:999"))
    assert (await http.post(f"{API}/PutCheck", json=unknown)).json()["error"] == "unknown_right"
    over = pay(await body_with_id(http, price="6000.00", basePrice="6000.00"),
               ("6000.00", "card:777/right:555"))
    assert (await http.post(f"{API}/PutCheck", json=over)).json()["error"] == \
        "insufficient_funds"
    expired = pay(await body_with_id(http), ("150.00", "card:784/right:570"))
    assert (await http.post(f"{API}/PutCheck", json=expired)).json()["error"] == \
        "right_expired"
    assert sim.model.put_checks == 0
    assert sim.model.cards[777].rights[555].amount == 500000, "a refused check changes nothing"


async def test_a_check_is_all_or_nothing(http: httpx.AsyncClient, sim: LimeSimulator) -> None:
    body = pay(await body_with_id(http), ("100.00", "card:777/right:555"),
               ("50.00", "card:778/right:999"))
    assert (await http.post(f"{API}/PutCheck", json=body)).status_code == 400
    assert sim.model.cards[777].rights[555].amount == 500000


async def test_check_ids_come_from_lime_and_need_an_open_shift(http: httpx.AsyncClient,
                                                               sim: LimeSimulator) -> None:
    body = copy.deepcopy(fixture("putcheck_rkeeper_md_s4.json"))
    body["check"]["id"] = 123  # §4's sample id was never issued here
    assert (await http.post(f"{API}/PutCheck", json=body)).json()["error"] == \
        "unknown_check_id"
    sim.model.close_shift(210)
    r = await http.post(f"{API}/PutCheck", json=await body_with_id(http))
    assert r.json()["error"] == "shift_closed"
    assert (await http.get(f"{API}/GetShift", params={"cashdeskId": 210})).json() == {}


async def test_two_cards_history_and_the_detailed_sales(http: httpx.AsyncClient,
                                                        sim: LimeSimulator) -> None:
    body = pay(await body_with_id(http), ("100.00", "card:777/right:555"),
               ("50.00", "card:778/right:558"))
    r = await http.post(f"{API}/PutCheck", json=body)
    assert r.status_code == 200
    assert sim.model.cards[777].rights[555].amount == 490000
    assert sim.model.cards[778].rights[558].amount == 25000
    hist = (await http.get(f"{API}/GetCardHistory", params={"cardId": 778})).json()["items"]
    assert [(h["type"], h["account"], h["amount"], h["product"], h["payerCard"])
            for h in hist] == [("Продажа", "Бонусы", "-50.00", "Обед", "7799000")]
    rows = (await http.get("/api/Reports/DetailedSales",
                           params={"from": "2026-01-01T00:00:00+03:00",
                                   "to": "2027-01-01T00:00:00+03:00"})).json()["rows"]
    assert len(rows) == 1 and rows[0]["accounts"] == "Депозит: 100.00; Бонусы: 50.00"
    assert rows[0]["cardUids"] == "7799000, 7799001"


async def test_outage_answers_503(http: httpx.AsyncClient, sim: LimeSimulator) -> None:
    sim.app.outage = True
    r = await http.get(f"{API}/GetShift", params={"cashdeskId": 210})
    assert r.status_code == 503


async def test_a_return_gives_back_at_most_what_was_sold(http: httpx.AsyncClient,
                                                         sim: LimeSimulator) -> None:
    sale = pay(await body_with_id(http), ("150.00", "card:777/right:555"))
    entry_id = (await http.post(f"{API}/PutCheck", json=sale)).json()["entries"][0]["id"]

    async def back(amount: str, entry: int) -> httpx.Response:
        body = pay(await body_with_id(http, price=amount, returnCheckEntryId=entry),
                   (amount, "card:777/right:555"))
        body["check"]["type"] = 1
        return await http.post(f"{API}/PutCheck", json=body)

    assert (await back("100.00", 1)).json()["error"] == "unknown_entry"
    assert (await back("100.00", entry_id)).status_code == 200
    assert (await back("60.00", entry_id)).json()["error"] == "return_exceeds"
    assert (await back("50.00", entry_id)).status_code == 200
    assert sim.model.cards[777].rights[555].amount == 500000
