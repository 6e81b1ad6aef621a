"""The OFD.ru emulator over raw HTTP, held to what ofd_video.md A.1/A.2 document: the
CreateAuthToken request and answer, the AuthToken query parameter, the Status/Data envelope and
its Errors, the field names of the documented /kkts and /receipts answers (fixtures), the
30-day cap and its text, the rate limit, the intake of §9 tickets and the tariff's outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from kassa_ofd.sim import PERIOD_TEXT, OfdSimulator

from .conftest import Clock, fixture, ticket

pytestmark = pytest.mark.anyio
RN = "0000000001002292"
AUTH = "/api/Authorization/CreateAuthToken"
V1 = "/api/integration/v1/inn/7700000000"


@pytest.fixture
async def doc_sim(clock: Clock) -> AsyncIterator[OfdSimulator]:
    """The account of A.1's documented example ({"Login": "12345", "Password": "56789"})."""
    s = OfdSimulator(now=clock.now, login="12345", password="56789", rate=1.0, burst=3)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


@pytest.fixture
async def http(doc_sim: OfdSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=doc_sim.base_url) as c:
        yield c


async def token(http: httpx.AsyncClient) -> str:
    r = await http.post(AUTH, content='{"Login": "12345", "Password": "56789"}',
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text
    value: str = r.json()["AuthToken"]
    return value


def shape(value: Any) -> str:
    return "number" if isinstance(value, int) and not isinstance(value, bool) else \
        type(value).__name__


async def test_the_documented_auth_request_gets_a_token_and_its_expiry(http, clock):
    r = await http.post(AUTH, content='{"Login": "12345", "Password": "56789"}',
                        headers={"Content-Type": "application/json; charset=utf-8"})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"AuthToken", "ExpirationDateUtc"}
    # parsed as kmuhin/OFDru does: %Y-%m-%dT%H:%M:%S, UTC, 24 h on
    expires = datetime.strptime(body["ExpirationDateUtc"], "%Y-%m-%dT%H:%M:%S")
    assert expires == datetime(2026, 3, 3, 9, 0)
    wrong = await http.post(AUTH, json={"Login": "12345", "Password": "00000"})
    assert wrong.status_code == 401 and wrong.json() == {
        "Status": "Failed", "Errors": ["Неверный логин или пароль"]}
    for bad in ('{"Login": "12345"}', "not json", "[]"):
        r = await http.post(AUTH, content=bad)
        assert r.status_code == 400 and r.json()["Status"] == "Failed"


async def test_every_call_needs_a_live_token_in_the_query(http, doc_sim, clock):
    doc_sim.take(ticket(1))
    assert (await http.get(f"{V1}/kkts")).status_code == 403  # none
    assert (await http.get(f"{V1}/kkts", params={"AuthToken": "forged"})).status_code == 403
    t = await token(http)
    r = await http.get(f"{V1}/kkts", headers={"AuthToken": t})  # a header is not the query
    assert r.status_code == 403
    assert (await http.get(f"{V1}/kkts", params={"AuthToken": t})).status_code == 200
    clock.advance(hours=24)  # at ExpirationDateUtc it is dead
    r = await http.get(f"{V1}/kkts", params={"AuthToken": t})
    assert r.status_code == 403 and r.json()["Status"] != "Success" and r.json()["Errors"]


async def test_answers_use_the_documented_envelope_and_field_names(http, doc_sim):
    doc_sim.take(ticket(3, buyer="a@b.ru"))
    t = await token(http)
    kkts = (await http.get(f"{V1}/kkts", params={"AuthToken": t})).json()
    assert set(kkts) == {"Status", "Data"} and kkts["Status"] == "Success"
    documented = fixture("kkts_a1.json")["Data"][0]
    ours = kkts["Data"][0]
    assert set(ours) <= set(documented), set(ours) - set(documented)  # no invented names
    assert {k: shape(v) for k, v in ours.items()} == {k: shape(documented[k]) for k in ours}

    r = await http.get(f"{V1}/kkt/{RN}/receipts", params={
        "AuthToken": t, "dateFrom": "2026-03-01T00:00:00", "dateTo": "2026-03-02T23:59:59"})
    item = r.json()["Data"][0]
    documented = {k: v for k, v in fixture("receipt_item_a1.json").items() if k != "_source"}
    extra = {"DecimalFiscalSign", "Operator"}  # "list items can also carry" (A.1)
    assert set(documented) <= set(item) <= set(documented) | extra
    assert {k: shape(item[k]) for k in documented} == {k: shape(v) for k, v in
                                                       documented.items()}
    assert (item["DocNumber"], item["TotalSumm"], item["DocDateTime"]) == (
        3, 15000, "2026-03-02T11:30:00")  # kopecks; the register's wall clock
    assert item["Depth"] == 1 and item["OperationType"] == "Income"

    one = await http.get(f"{V1}/kkt/{RN}/receipt/{item['Id']}", params={"AuthToken": t})
    doc = one.json()["Data"]
    assert doc["Document"]["Items"][0]["Name"] == "за обслуживание"
    assert doc["Document"]["Buyer_Address"] == "a@b.ru"


async def test_a_period_over_30_days_is_refused_with_the_documented_text(http, doc_sim):
    doc_sim.take(ticket(1))
    t = await token(http)
    url = f"{V1}/kkt/{RN}/receipts"
    r = await http.get(url, params={"AuthToken": t, "dateFrom": "2026-01-01T00:00:00",
                                    "dateTo": "2026-01-31T00:00:01"})
    assert r.status_code == 400 and r.json() == {"Status": "Failed", "Errors": [PERIOD_TEXT]}
    assert PERIOD_TEXT == "Период не должен превышать 30 дней"
    r = await http.get(url, params={"AuthToken": t, "dateFrom": "2026-01-01T00:00:00",
                                    "dateTo": "2026-01-31T00:00:00"})  # exactly 30 days: fine
    assert r.status_code == 200 and r.json()["Data"] == []


async def test_the_rate_limit_answers_429_with_retry_after(http, doc_sim, clock):
    t = await token(http)
    codes = [(await http.get(f"{V1}/kkts", params={"AuthToken": t})).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # a burst of 3, then 1 request/s (A.2)
    r = await http.get(f"{V1}/kkts", params={"AuthToken": t})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert r.json() == {"Status": "Failed", "Errors": ["Too many requests"]}
    clock.advance(seconds=1)
    assert (await http.get(f"{V1}/kkts", params={"AuthToken": t})).status_code == 200
    other = await token(http)  # the bucket is per token
    assert (await http.get(f"{V1}/kkts", params={"AuthToken": other})).status_code == 200


async def test_errors_are_failed_envelopes_with_their_status(http, doc_sim):
    doc_sim.take(ticket(1))
    doc_sim.burst = 100
    t = await token(http)
    q = {"AuthToken": t}
    cases = [
        ("/api/integration/v1/inn/7800000000/kkts", q, 403),  # another organisation
        (f"{V1}/kkt/0000000000000001/receipts", q, 404),  # no such register
        (f"{V1}/kkt/{RN}/receipts", q, 400),  # no period
        (f"{V1}/kkt/{RN}/receipts", {**q, "dateFrom": "02.03.2026", "dateTo": "x"}, 400),
        (f"{V1}/kkt/{RN}/receipts", {**q, "dateFrom": "2026-03-02T00:00:00",
                                     "dateTo": "2026-03-01T00:00:00"}, 400),
        (f"{V1}/kkt/{RN}/receipt/00000000-0000-0000-0000-000000000000", q, 404),
        (f"{V1}/nothing", q, 404),
        ("/api/integration/v2/inn/7700000000/kkts", q, 404),  # API 2.0 is not emulated
    ]
    for path, params, status in cases:
        r = await http.get(path, params=params)
        assert r.status_code == status, (path, r.text)
        body = r.json()
        assert body["Status"] == "Failed" and isinstance(body["Errors"], list) and \
            all(isinstance(e, str) and e for e in body["Errors"]), body
    doc_sim.outage = True
    r = await http.get(f"{V1}/kkts", params=q)
    assert r.status_code == 503 and r.json()["Status"] == "Failed"
    assert (await http.post(AUTH, json={"Login": "12345", "Password": "56789"})
            ).status_code == 503


async def test_the_intake_takes_a_ticket_once_and_refuses_what_is_not_one(http, doc_sim):
    good = ticket(9)
    r = await http.post("/_sim/documents", json=good)
    first = r.json()
    assert r.status_code == 200 and first["duplicate"] is False
    again = (await http.post("/_sim/documents", json=good)).json()
    assert again == {"Id": first["Id"], "duplicate": True}  # an FN resending: one document
    assert len(doc_sim.docs) == 1
    bad: list[tuple[Any, str]] = [({**good, "fiscalSign": "2918241905"}, "fiscalSign"),
           ({**good, "userInn": "7800000000"}, "userInn"),
           ({**good, "operationType": 5}, "operationType"),
           ({**good, "code": 7}, "code"),  # the OFD's own confirmation: never sent to it
           ({**good, "fiscalDocumentNumber": 11, "operationType": None}, "operationType"),
           ({**good, "dateTime": "18.04.2019 21:16"}, "dateTime"),
           ({k: v for k, v in good.items() if k != "totalSum"}, "totalSum"),
           ([good], "JSON object")]
    for body, named in bad:
        r = await http.post("/_sim/documents", json=body)
        assert r.status_code == 422 and named in r.json()["error"], (named, r.text)
    assert (await http.post("/_sim/documents", content=b"{")).status_code == 400
    shift = {k: good[k] for k in ("fiscalDriveNumber", "fiscalSign", "dateTime", "kktRegId",
                                  "userInn")}
    r = await http.post("/_sim/documents", json={**shift, "code": 5, "fiscalDocumentNumber": 8})
    assert r.status_code == 200  # a shift-close report: stored, not a receipt
    await http.post("/_sim/faults", json={"outage": True})
    assert (await http.post("/_sim/documents", json=ticket(10))).status_code == 503
    assert len(doc_sim.docs) == 2
    state = (await http.get("/_sim/state")).json()
    assert [d["DocNumber"] for d in state["documents"]] == [9]
    assert [(d["code"], d["DocNumber"]) for d in state["other_documents"]] == [(5, 8)]


async def test_copies_go_to_the_outbox_only_as_the_tariff_says(clock: Clock):
    for email, sms, expect in ((False, False, []), (True, False, ["email"]),
                               (False, True, ["sms"]), (True, True, ["email", "sms"])):
        s = OfdSimulator(now=clock.now, delivers_email=email, delivers_sms=sms)
        await s.start()
        try:
            async with httpx.AsyncClient(base_url=s.base_url) as http:
                for fd, buyer in ((1, "guest@example.ru"), (2, "+79990000000"), (3, None)):
                    r = await http.post("/_sim/documents", json=ticket(fd, buyer=buyer))
                    assert r.status_code == 200
                await http.post("/_sim/documents", json=ticket(1, buyer="guest@example.ru"))
                outbox = (await http.get("/_sim/outbox")).json()
            assert [m["channel"] for m in outbox] == expect, (email, sms)
            for m in outbox:  # the copy names the receipt the buyer can check
                assert m["fn"] == "9999078900000961" and m["fp"] == "2918241905"
                assert m["to"] == {"email": "guest@example.ru", "sms": "+79990000000"}[
                    m["channel"]] and m["total"] == 15000
        finally:
            await s.stop()
