"""The ATOL Online simulator on its own, with raw HTTP and JSON fixtures written from the
documented field lists (fixtures/online, fiscal.md §2.4): not through our client, so the
simulator is held to the documents rather than to the code that talks to it."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from kassa_atol.online import codes
from kassa_atol.online.cli import simulate_online
from kassa_atol.online.sim import AtolOnlineSimulator

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parent / "fixtures" / "online"
SHAPES = json.loads((FIXTURES / "shapes.json").read_text(encoding="utf-8"))
GROUP = "kassa-group"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def api() -> AsyncIterator[tuple[AtolOnlineSimulator, httpx.AsyncClient, Clock]]:
    clock = Clock()
    sim = AtolOnlineSimulator(clock=clock)
    await sim.start()
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=5) as http:
        yield sim, http, clock
    await sim.stop()


async def token(http: httpx.AsyncClient) -> dict[str, str]:
    resp = await http.post("getToken", json=fixture("get_token_request.json"))
    assert resp.status_code == 200
    return {"Token": resp.json()["token"]}


async def test_get_token(api: Any) -> None:
    _, http, _ = api
    resp = await http.post("getToken", json=fixture("get_token_request.json"))
    body = resp.json()
    assert resp.status_code == 200 and body["error"] is None and len(body["token"]) == 128
    bad = await http.post("getToken", json={"login": "kassa-test", "pass": "nope"})
    assert bad.status_code == 401
    assert sorted(bad.json()["error"]) == sorted(SHAPES["error"])
    assert bad.json()["error"]["code"] == codes.BAD_CREDENTIALS


async def test_sell_wait_duplicate_done(api: Any) -> None:
    sim, http, _ = api
    sim.process_delay = 0
    no_token = await http.post(f"{GROUP}/sell", json=fixture("sell_request.json"))
    assert no_token.status_code == 401
    head = await token(http)
    first = await http.post(f"{GROUP}/sell", json=fixture("sell_request.json"), headers=head)
    assert first.status_code == 200
    assert sorted(first.json()) == sorted(SHAPES["accepted"])
    assert first.json()["status"] == "wait" and first.json()["error"] is None
    again = await http.post(f"{GROUP}/sell", json=fixture("sell_request.json"), headers=head)
    assert again.json()["error"]["code"] == codes.DUPLICATE
    assert again.json()["uuid"] == first.json()["uuid"]
    report = (await http.get(f"{GROUP}/report/{first.json()['uuid']}", headers=head)).json()
    assert report["status"] == "done" and report["error"] is None
    payload = report["payload"]
    assert sorted(payload) == sorted(SHAPES["report_done_payload"])
    assert payload["total"] == 291.0 and payload["fn_number"] == "9999078900000961"
    assert len(str(payload["fiscal_document_attribute"])) == 10
    assert payload["receipt_datetime"] == "02.03.2026 15:00:00"  # Moscow wall clock
    assert len(sim.docs) == 1


async def test_processing_takes_its_delay(api: Any) -> None:
    sim, http, clock = api
    sim.process_delay = 30
    head = await token(http)
    uuid = (await http.post(f"{GROUP}/sell", json=fixture("sell_request.json"),
                            headers=head)).json()["uuid"]
    assert (await http.get(f"{GROUP}/report/{uuid}", headers=head)).json()["status"] == "wait"
    clock.at += timedelta(seconds=31)
    assert (await http.get(f"{GROUP}/report/{uuid}", headers=head)).json()["status"] == "done"


async def test_fd_numbers_follow_acceptance_not_polling(api: Any) -> None:
    sim, http, clock = api
    sim.process_delay = 10
    head = await token(http)
    uuids = []
    for ext in ("a-1", "a-2"):
        body = fixture("sell_request.json")
        body["external_id"] = ext
        uuids.append((await http.post(f"{GROUP}/sell", json=body, headers=head)).json()["uuid"])
    clock.at += timedelta(seconds=11)
    second = (await http.get(f"{GROUP}/report/{uuids[1]}", headers=head)).json()
    first = (await http.get(f"{GROUP}/report/{uuids[0]}", headers=head)).json()
    assert first["payload"]["fiscal_document_number"] == 2  # 1 is the shift opening
    assert second["payload"]["fiscal_document_number"] == 3
    assert second["payload"]["fiscal_receipt_number"] == 2


async def test_fiscal_sign_is_deterministic() -> None:
    signs = []
    for _ in range(2):
        sim = AtolOnlineSimulator(clock=Clock())
        await sim.start()
        async with httpx.AsyncClient(base_url=sim.base_url) as http:
            head = await token(http)
            uuid = (await http.post(f"{GROUP}/sell", json=fixture("sell_request.json"),
                                    headers=head)).json()["uuid"]
            report = (await http.get(f"{GROUP}/report/{uuid}", headers=head)).json()
            signs.append(report["payload"]["fiscal_document_attribute"])
        await sim.stop()
    assert signs[0] == signs[1]


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = body["receipt"]["items"]
    return items


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("v4 item", lambda b: _items(b).__setitem__(0, copy.deepcopy(SHAPES["v4_item"])),
     "receipt.items[0].measure"),
    ("item sum", lambda b: _items(b)[0].__setitem__("sum", 240.0), "receipt.items[0].sum"),
    ("total", lambda b: b["receipt"].__setitem__("total", 290.0), "receipt.total"),
    ("payments", lambda b: b["receipt"]["payments"][0].__setitem__("sum", 290.0),
     "receipt.payments"),
    ("3 decimals", lambda b: _items(b)[1].__setitem__("price", 99.999),
     "receipt.items[1].price"),
    ("no contact", lambda b: b["receipt"].__setitem__("client", {}), "receipt.client"),
    ("bad phone", lambda b: b["receipt"].__setitem__("client", {"phone": "call me"}),
     "receipt.client.phone"),
    ("vat 20 in 2026", lambda b: _items(b)[0]["vat"].__setitem__("type", "vat20"),
     "receipt.items[0].vat.type"),
    ("vat sum", lambda b: _items(b)[0]["vat"].__setitem__("sum", 40.0),
     "receipt.items[0].vat.sum"),
    ("other inn", lambda b: b["receipt"]["company"].__setitem__("inn", "7707083893"),
     "receipt.company.inn"),
    ("sno", lambda b: b["receipt"]["company"].__setitem__("sno", "usn"),
     "receipt.company.sno"),
    ("timestamp", lambda b: b.__setitem__("timestamp", "2026-03-02T15:00:00"), "timestamp"),
]


@pytest.mark.parametrize(("what", "mutate", "field"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
async def test_validation_names_the_field(api: Any, what: str,
                                          mutate: Callable[[dict[str, Any]], None],
                                          field: str) -> None:
    sim, http, _ = api
    body = fixture("sell_request.json")
    mutate(body)
    resp = await http.post(f"{GROUP}/sell", json=body, headers=await token(http))
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == codes.VALIDATION and f"поле {field}:" in err["text"], err
    assert not sim.docs


async def test_vat_by_date(api: Any) -> None:
    _, http, _ = api
    head = await token(http)
    old = fixture("sell_request.json")
    old["timestamp"] = "30.12.2025 10:00:00"  # 22 % starts on 01.01.2026
    resp = await http.post(f"{GROUP}/sell", json=old, headers=head)
    assert "receipt.items[0].vat.type" in resp.json()["error"]["text"]
    refund = fixture("sell_request.json")
    refund["external_id"] = "refund-1"
    _items(refund)[0]["vat"] = {"type": "vat20", "sum": 40.17}  # a 2025 sale's rate
    resp = await http.post(f"{GROUP}/sell_refund", json=refund, headers=head)
    assert resp.status_code == 200, resp.json()


async def test_correction(api: Any) -> None:
    _, http, _ = api
    head = await token(http)
    body = fixture("sell_correction_request.json")
    assert (await http.post(f"{GROUP}/sell_correction", json=body,
                            headers=head)).status_code == 200
    del body["correction"]["correction_info"]["base_number"]
    body["external_id"] = "fixture-corr-2"
    resp = await http.post(f"{GROUP}/sell_correction", json=body, headers=head)
    assert "correction.correction_info.base_number" in resp.json()["error"]["text"]


async def test_unknown_group_expired_token_outage_and_429(api: Any) -> None:
    sim, http, clock = api
    head = await token(http)
    resp = await http.post("nosuch/sell", json=fixture("sell_request.json"), headers=head)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == codes.UNKNOWN_GROUP
    clock.at += timedelta(hours=24)
    resp = await http.post(f"{GROUP}/sell", json=fixture("sell_request.json"), headers=head)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == codes.TOKEN_EXPIRED
    sim.outage = True
    assert (await http.post("getToken", json=fixture("get_token_request.json"))
            ).status_code == 503
    sim.outage = False
    sim.inject(429, retry_after=2)
    resp = await http.post("getToken", json=fixture("get_token_request.json"))
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    assert (await http.post("getToken", json=fixture("get_token_request.json"))
            ).status_code == 200
    assert not sim.docs


async def test_faults_from_the_shell(api: Any) -> None:
    sim, http, _ = api
    base = sim.base_url.split("/possystem")[0]
    resp = await http.post(f"{base}/_sim/faults", json={"outage": True, "hang": 1,
                                                         "inject": {"status": 502}})
    assert resp.status_code == 200 and sim.outage and sim.hang == 1 and sim.faults
    bad = await http.post(f"{base}/_sim/faults", json={"inject": {}})
    assert bad.status_code == 400
    state = (await http.get(f"{base}/_sim/state")).json()
    assert state == {"documents": [], "kkts": {}}


async def test_report_of_an_unknown_uuid(api: Any) -> None:
    _, http, _ = api
    resp = await http.get(f"{GROUP}/report/00000000-0000-0000-0000-000000000000",
                          headers=await token(http))
    assert resp.status_code == 404 and resp.json()["error"]["code"] == codes.UNKNOWN_UUID


def test_simulate_online_prints_the_config_block() -> None:
    result = CliRunner().invoke(simulate_online, ["--port", "0", "--seconds", "0.2"])
    assert result.exit_code == 0, result.output
    assert "[[atol.online]]" in result.output and 'group_code = "kassa-group"' in result.output
