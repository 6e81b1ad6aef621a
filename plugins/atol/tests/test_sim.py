"""The emulator on its own, over HTTP with raw JSON (the documented task and result examples of
fiscal.md §2.1-2.2), not through our client: what a real Web Server answers, it answers."""

from __future__ import annotations

import copy
import json
import ssl
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from kassa_atol.sim import AtolSimulator
from kassa_atol.sim.kkt import MSK

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parent / "fixtures"
SELL = json.loads((FIXTURES / "sell_fiscal_md.json").read_text(encoding="utf-8"))
RESULT = json.loads((FIXTURES / "result_fiscal_md.json").read_text(encoding="utf-8"))
READY = json.loads((FIXTURES / "get_ready_fiscal_md.json").read_text(encoding="utf-8"))
_n = iter(range(10**6))
TLS = ssl.create_default_context()  # once: httpx builds one per client otherwise (0.2 s)


def client(sim: AtolSimulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.url, verify=TLS)


async def run(sim: AtolSimulator, *tasks: dict[str, Any]) -> list[dict[str, Any]]:
    """POST the tasks under a fresh uuid, poll until final, return the results."""
    uuid = f"u-{next(_n)}"
    async with client(sim) as http:
        resp = await http.post("/api/v2/requests", json={"uuid": uuid, "request": list(tasks)})
        assert resp.status_code == 201, resp.text
        with anyio.fail_after(5):
            while True:
                got = (await http.get(f"/api/v2/requests/{uuid}")).json()["results"]
                if all(r["status"] not in ("wait", "inProgress") for r in got):
                    return list(got)
                await anyio.sleep(0.005)


async def one(sim: AtolSimulator, task: dict[str, Any]) -> dict[str, Any]:
    return dict((await run(sim, task))[0])


def sell(**changes: Any) -> dict[str, Any]:
    task: dict[str, Any] = copy.deepcopy(SELL)
    task.update(changes)
    return task


async def test_the_documented_sell_example_is_fiscalised(sim: AtolSimulator) -> None:
    opened, sold = await run(sim, {"type": "openShift", "operator": {"name": "Иванов"}}, SELL)
    assert opened["status"] == "ready" and sold["status"] == "ready", sold
    assert set(READY["results"][0]) == set(sold)  # status, errorCode, errorDescription, result
    assert sold["errorCode"] == 0 and sold["errorDescription"] == "Ошибок нет"
    fp = sold["result"]["fiscalParams"]
    assert set(RESULT["fiscalParams"]) == set(fp), "the documented result fields, no others"
    assert isinstance(fp["fiscalDocumentSign"], str) and len(fp["fiscalDocumentSign"]) == 10
    assert fp["fnNumber"] == "9999078900000961" and fp["registrationNumber"] == "0000000001002292"
    assert (fp["fiscalDocumentNumber"], fp["fiscalReceiptNumber"], fp["total"]) == (2, 1, 300.0)
    assert datetime.fromisoformat(fp["fiscalDocumentDateTime"]).utcoffset() == timedelta(hours=3)
    assert sold["result"]["warnings"] == {"notPrinted": False}


async def test_tasks_run_asynchronously_and_a_uuid_runs_once(sim: AtolSimulator) -> None:
    sim.web.delay = 0.3
    await one(sim, {"type": "openShift"})
    async with client(sim) as http:
        body = {"uuid": "same", "request": [SELL]}
        assert (await http.post("/api/v2/requests", json=body)).status_code == 201
        early = (await http.get("/api/v2/requests/same")).json()["results"][0]
        assert early["status"] in ("wait", "inProgress"), "stored at once, run later"
        again = await http.post("/api/v2/requests", json=body)
        assert again.status_code == 409
        assert (await http.get("/api/v2/requests/nope")).status_code == 404
        with anyio.fail_after(5):
            while True:
                got = (await http.get("/api/v2/requests/same")).json()["results"][0]
                if got["status"] == "ready":
                    break
                await anyio.sleep(0.02)
    assert sim.effects() == 1, "a duplicate uuid must not execute twice"


async def test_bad_envelopes_are_400(sim: AtolSimulator) -> None:
    async with client(sim) as http:
        assert (await http.post("/api/v2/requests", content=b"{not json")).status_code == 400
        assert (await http.post("/api/v2/requests", json={"request": [SELL]})).status_code == 400
        assert (await http.post("/api/v2/requests", json={"uuid": "x"})).status_code == 400


async def test_unknown_task_type_and_interrupted_followers(sim: AtolSimulator) -> None:
    bad, after = await run(sim, {"type": "makeCoffee"}, {"type": "reportX"})
    assert (bad["status"], bad["errorCode"]) == ("error", 13)
    assert bad["errorDescription"].startswith("Нeкорректное значение параметра")
    assert (after["status"], after["errorCode"]) == ("interrupted", 502)


@pytest.mark.parametrize(("change", "code"), [
    ({"items": [dict(SELL["items"][0], amount=300.02)]}, 16),  # price x qty, off by 2 kop
    ({"total": 301.0}, 227),  # total is not the items
    ({"payments": [{"type": "electronically", "sum": 200.0}]}, 66),  # underpaid
    ({"payments": [{"type": "electronically", "sum": 400.0}]}, 52),  # change from a card
    ({"taxationType": "usn"}, 143),
    ({"items": [dict(SELL["items"][0], tax={"type": "vat18"})]}, 144),
    ({"items": [dict(SELL["items"][0], paymentMethod="full")]}, 216),
    ({"items": [dict(SELL["items"][0], paymentObject="goods")]}, 217),
    ({"items": [dict(SELL["items"][0], measurementUnit=7)]}, 412),
    ({"clientInfo": {"emailOrPhone": "89990000000"}}, 13),  # 1008 needs + or an e-mail
    ({"electronically": True, "clientInfo": {}}, 161),  # not printed: 1008 required
    ({"items": [dict(SELL["items"][0], paymentObject="commodityWithMarking")]}, 161),
    ({"payments": None}, 8),
    ({"items": [dict(SELL["items"][0], nomenclatureCode="4600439931256")]}, 13),  # an object
])
async def test_driver_validation(sim: AtolSimulator, change: dict[str, Any], code: int
                                 ) -> None:
    await one(sim, {"type": "openShift"})
    got = await one(sim, sell(**change))
    assert (got["status"], got["errorCode"]) == ("error", code), got
    assert sim.effects() == 0


async def test_amount_within_a_kopeck_is_accepted(sim: AtolSimulator) -> None:
    await one(sim, {"type": "openShift"})
    item = dict(SELL["items"][0], price=33.33, quantity=3, amount=100.0)  # 99.99 + 1 kop
    got = await one(sim, sell(items=[item], total=100.0,
                              payments=[{"type": "cash", "sum": 100.0}]))
    assert got["status"] == "ready", got


async def test_vat_rates_follow_the_firmware_date(sim: AtolSimulator) -> None:
    await one(sim, {"type": "openShift"})
    old = [dict(SELL["items"][0], tax={"type": "vat20"})]
    assert (await one(sim, sell(items=old)))["errorCode"] == 144, "20 % is gone in 2026"
    refund = await one(sim, sell(type="sellReturn", items=old))
    assert refund["status"] == "ready", "a refund of a 2025 sale keeps its 20 %"
    sim.kkt.vat22_from = date(2099, 1, 1)  # a firmware without the 2026 amendment
    assert (await one(sim, SELL))["errorCode"] == 144
    assert (await one(sim, sell(items=old)))["status"] == "ready"


async def test_shift_state_machine(sim: AtolSimulator) -> None:
    assert (await one(sim, SELL))["errorCode"] == 73, "closed shift"
    assert (await one(sim, {"type": "closeShift"}))["errorCode"] == 73
    assert (await one(sim, {"type": "openShift"}))["status"] == "ready"
    assert (await one(sim, {"type": "openShift"}))["errorCode"] == 83
    await one(sim, SELL)
    await one(sim, SELL)
    async with client(sim) as http:
        await http.post("/_sim/clock", json={"advance": 24 * 3600 + 1})
    assert (await one(sim, SELL))["errorCode"] == 68, "over 24 h"
    st = (await one(sim, {"type": "getShiftStatus"}))["result"]["shiftStatus"]
    assert (st["state"], st["number"]) == ("expired", 1)
    z = (await one(sim, {"type": "closeShift"}))["result"]["fiscalParams"]
    assert (z["receiptsCount"], z["fiscalDocumentNumber"], z["shiftNumber"]) == (2, 4, 1)
    again = (await run(sim, {"type": "openShift"}, SELL))[1]["result"]["fiscalParams"]
    assert (again["shiftNumber"], again["fiscalReceiptNumber"], again["fiscalDocumentNumber"]) \
        == (2, 1, 6), "receipt numbers restart per shift, FD numbers never"


async def test_auto_open_shift_is_a_setting(sim: AtolSimulator) -> None:
    sim.kkt.auto_open_shift = True
    got = (await one(sim, SELL))["result"]
    assert got["shiftAutoOpened"] is True and got["fiscalParams"]["fiscalDocumentNumber"] == 2


async def test_fiscal_sign_is_a_deterministic_hmac() -> None:
    at = datetime(2026, 3, 2, 12, 0, tzinfo=MSK)
    signs = []
    for _ in range(2):
        s = AtolSimulator(clock=type("C", (), {"now": staticmethod(lambda: at)})())
        await s.start()
        try:
            got = await run(s, {"type": "openShift"}, SELL)
            signs.append([r["result"]["fiscalParams"]["fiscalDocumentSign"] for r in got])
        finally:
            await s.stop()
    assert signs[0] == signs[1] and signs[0][0] != signs[0][1]


async def test_faults(sim: AtolSimulator) -> None:
    await one(sim, {"type": "openShift"})
    async with client(sim) as http:
        await http.post("/_sim/faults", json={"paper": False})
        assert (await one(sim, SELL))["errorCode"] == 44
        await http.post("/_sim/faults", json={"paper": True, "paper_after": True})
        made = (await one(sim, SELL))["result"]
        assert made["warnings"]["notPrinted"] is True, "made in the FN, not printed"
        assert (await one(sim, SELL))["errorCode"] == 44, "nothing new until paper is in"
        assert (await one(sim, {"type": "continuePrint"}))["errorCode"] == 44
        await http.post("/_sim/faults", json={"paper": True})
        assert (await one(sim, {"type": "continuePrint"}))["status"] == "ready"
        await http.post("/_sim/faults", json={"fn_present": False})
        assert (await one(sim, SELL))["errorCode"] == 166
        await http.post("/_sim/faults", json={"fn_present": True, "ofd_failing": True})
        await one(sim, SELL)
        await one(sim, SELL)
        ofd = (await one(sim, {"type": "ofdExchangeStatus"}))["result"]["status"]
        assert ofd["notSentCount"] == 2 and ofd["notSentFirstDocDateTime"]
        await one(sim, SELL)
        assert (await one(sim, {"type": "ofdExchangeStatus"}))["result"]["status"][
            "notSentCount"] == 3, "the backlog grows while the OFD fails"
        await http.post("/_sim/faults", json={"ofd_failing": False})
        assert (await one(sim, {"type": "ofdExchangeStatus"}))["result"]["status"][
            "notSentCount"] == 0
        assert (await http.post("/_sim/faults", json={"smoke": True})).status_code == 400
        state = (await http.get("/_sim/state")).json()
        assert state["receipts"] == 4 and state["fd"] == 5


async def test_marking_validation_flow(sim: AtolSimulator) -> None:
    params = {"imcType": "auto", "imc": "MDEwNDYwMDQzOTkzMTI1Ng==",
              "itemEstimatedStatus": "itemPieceSold", "imcModeProcessing": 0}
    begun = await one(sim, {"type": "beginMarkingCodeValidation", "params": params})
    assert begun["result"]["offlineValidation"] == {"fmCheck": True, "fmCheckResult": True}
    assert (await one(sim, {"type": "beginMarkingCodeValidation", "params": params}))[
        "errorCode"] == 401, "one validation at a time"
    first = await one(sim, {"type": "getMarkingCodeValidationStatus"})
    assert first["result"]["ready"] is False
    done = (await one(sim, {"type": "getMarkingCodeValidationStatus"}))["result"]
    assert done["onlineValidation"]["itemInfoCheckResult"]["imcCheckResult"] is True
    await one(sim, {"type": "acceptMarkingCode"})
    sim.faults.marking_declined = True
    await one(sim, {"type": "beginMarkingCodeValidation", "params": params})
    await one(sim, {"type": "getMarkingCodeValidationStatus"})
    no = (await one(sim, {"type": "getMarkingCodeValidationStatus"}))["result"]
    assert no["onlineValidation"]["itemInfoCheckResult"]["imcCheckResult"] is False
    bad = await one(sim, {"type": "beginMarkingCodeValidation",
                          "params": dict(params, imc="***")})
    assert bad["errorCode"] in (401, 409)


async def test_cash_in_out_and_basic_auth() -> None:
    sim = AtolSimulator(login="admin", password="s3cret")
    await sim.start()
    try:
        async with client(sim) as http:
            body = {"uuid": "a", "request": [{"type": "reportX"}]}
            assert (await http.post("/api/v2/requests", json=body)).status_code == 401
        sim.web.auth = None
        await one(sim, {"type": "openShift"})
        got = await one(sim, {"type": "cashIn", "cashSum": 500.0})
        assert got["result"] == {"counters": {"cashSum": 500.0}}
        assert (await one(sim, {"type": "cashOut", "cashSum": 900.0}))["errorCode"] == 80
        assert (await one(sim, {"type": "cashOut", "cashSum": 200.0}))["result"][
            "counters"]["cashSum"] == 300.0
    finally:
        await sim.stop()


SHAPES = json.loads((FIXTURES / "atol_rpc_result_fields.json").read_text(encoding="utf-8"))


async def test_results_have_the_fields_atol_rpc_types(sim: AtolSimulator) -> None:
    """Every field ATOL-RPC's result types require (src/types/*.ts), and no others."""
    await one(sim, {"type": "openShift"})
    for task, shape in SHAPES.items():
        if task.startswith("_"):
            continue
        got = (await one(sim, {"type": task}))["result"]
        for key, fields in shape.items():
            assert set(got[key]) == set(fields), (task, key)
