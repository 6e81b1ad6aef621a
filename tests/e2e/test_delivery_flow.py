"""Delivery end to end: drivers' phones -> the hub's delivery API -> the queue -> the ATOL Web
Server emulator (the office register) -> its FN transmits to the OFD.ru emulator, whose tariff
delivers e-mail copies and not SMS -> e-mail copies in the OFD's outbox, SMS copies through the
delivery plugin's simulated gateway, none without a contact. Then the register goes away for
ten (fake) minutes while drivers keep paying: one wait alert, and after it returns every job
is fiscalised once, in order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import kassa_atol
import kassa_delivery
import kassa_ofd
import pytest
from kassa.demo import merge, merge_sites
from kassa.testing import FakeClock, eventually, make_hub
from kassa_atol.sim import AtolSimulator
from kassa_atol.sim.kkt import MSK
from kassa_ofd.sim import OfdSimulator

pytestmark = pytest.mark.anyio
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KEY = {"X-Api-Key": "e2e-app-key-000"}


class RegisterClock:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now().astimezone(MSK)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    clock = FakeClock(START)
    ofd = OfdSimulator(now=clock.now, rate=1000.0, burst=1000, delivers_email=True,
                       delivers_sms=False)
    await ofd.start()
    atol = AtolSimulator("r1", clock=RegisterClock(clock), ofd_url=ofd.base_url,
                         ofd_retry=0.05, ofd_max_retry=0.2)
    try:
        config = merge_sites(merge({}, await atol.start()))
        config["fiscal"] = {"poll_interval": 0}
        config["chats"] = []
        config["ofd"] = {**(await ofd_fragment(ofd))["ofd"], "reconcile_every_minutes": 0}
        config["delivery"] = {
            "api_keys": [{"name": "app", "key": KEY["X-Api-Key"], "rights": ["pay", "read"]}],
            "drivers": [{"id": "anna", "name": "Анна", "mode": "copy"},
                        {"id": "boris", "name": "Борис", "mode": "copy"}],
            "offices": [{"site": "r1", "register": atol.register, "ofd_account": "ofd-ru",
                         "cashier": "Иванова И. И."}],
            "ofd_accounts": [{"name": "ofd-ru", "delivers_email": True,
                              "delivers_sms": False}],
            "sms_sender": "simulator", "retry_seconds": 0.1, "max_wait_minutes": 10}
        async with make_hub(config, tmp_path, plugins=[kassa_atol, kassa_ofd, kassa_delivery],
                            clock=clock, api=True) as hub:
            async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{hub.api_port}/api/delivery/v1",
                    headers=KEY, timeout=30,
                    limits=httpx.Limits(keepalive_expiry=1.0)) as api:
                yield {"hub": hub, "clock": clock, "ofd": ofd, "atol": atol, "api": api,
                       "data": tmp_path}
    finally:
        await atol.stop()
        await ofd.stop()


async def ofd_fragment(ofd: OfdSimulator) -> dict[str, Any]:
    return {"ofd": {"base_url": ofd.base_url, "login": ofd.login, "password": ofd.password,
                    "inn": ofd.inn, "fns_url": ofd.base_url, "delivers_email": True,
                    "delivers_sms": False}}


def pay(order: str, driver: str, **contact: Any) -> dict[str, Any]:
    return {"order_id": order, "site": "r1", "driver": driver,
            "items": [{"name": "Вода 19 л", "price": 35000, "quantity": "2", "vat": "vat22"}],
            "payment": {"kind": "card", "amount": 70000},
            "client": contact.get("client", {}), "address": contact.get("address", {})}


async def settled(w: dict[str, Any], ids: list[int]) -> list[dict[str, Any]]:
    api = w["api"]
    got: list[dict[str, Any]] = []

    async def ok() -> bool:
        got[:] = [(await api.get(f"/jobs/{i}")).json() for i in ids]
        return all(j["status"] == "fiscalised" and j["copy"]["status"] != "pending"
                   for j in got)

    await eventually(ok, hub=w["hub"], within=60)
    return got


async def test_drivers_to_register_to_ofd_with_copies_and_an_outage(world):
    api, ofd, atol, clock = world["api"], world["ofd"], world["atol"], world["clock"]
    orders = [pay("E-1", "anna", client={"email": "ivan@example.ru"}),
              pay("P-1", "boris", address={"phones": ["+7 495 100-20-30", "8 916 222-33-44"]}),
              pay("N-1", "anna", address={"ofd_contact": "ivan@"})]
    ids = []
    for n, body in enumerate(orders):
        r = await api.post("/payments", json=body, headers={"Idempotency-Key": f"k{n}"})
        assert r.status_code == 202, r.text
        ids.append(r.json()["job_id"])
    jobs = await settled(world, ids)
    assert [j["copy"]["status"] for j in jobs] == ["ofd", "sent", "not_sent"]
    assert [w["code"] for w in jobs[2]["warnings"]] == ["contact_ofd_field_invalid",
                                                       "contact_missing"]

    async def at_ofd() -> bool:
        return all((j["fiscal"]["fn"], j["fiscal"]["fd"]) in ofd.docs for j in jobs)

    await eventually(at_ofd, within=30)
    assert [m["to"] for m in ofd.outbox] == ["ivan@example.ru"]  # the OFD's e-mail copy
    sms = [json.loads(x) for x in (world["data"] / "sms-outbox.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [m["to"] for m in sms] == ["+79162223344"]  # ours: the tariff has no SMS
    ticket = ofd.docs[(jobs[0]["fiscal"]["fn"], jobs[0]["fiscal"]["fd"])].ticket
    assert ticket["buyerAddress"] == "ivan@example.ru"  # 1008 reached the OFD
    asked = (await api.get(f"/jobs/{ids[0]}/ofd")).json()  # "was my receipt sent?"
    assert asked["ofd"]["at_ofd"] is True and asked["ofd"]["ofd_delivers_email"] is True

    # the register goes away; drivers keep paying; ten minutes pass
    await atol.stop()
    later = []
    for n in range(4):
        r = await api.post("/payments", json=pay(f"L-{n}", "anna"),
                           headers={"Idempotency-Key": f"l{n}"})
        assert r.status_code == 202
        later.append(r.json()["job_id"])

    async def waiting() -> bool:
        return (await api.get(f"/jobs/{later[0]}")).json()["waiting"] is not None

    await eventually(waiting, hub=world["hub"], within=60)
    clock.advance(10 * 60 + 1)

    async def alerted() -> bool:
        return len(await world["hub"].events(kinds=["delivery_register_waiting"])) == 1

    await eventually(alerted, hub=world["hub"], within=60)
    await atol.start()  # the same port, the same FN
    done = await settled(world, later)
    fds = [j["fiscal"]["fd"] for j in done]
    assert fds == sorted(fds) and len(set(fds)) == 4
    assert fds[0] > jobs[-1]["fiscal"]["fd"]
    assert len(atol.kkt.receipts()) == 7  # each job once
    assert len(await world["hub"].events(kinds=["delivery_register_waiting"])) == 1


async def test_a_refund_at_the_door_reaches_the_ofd_as_a_return_of_sale(world):
    api, ofd = world["api"], world["ofd"]
    body = pay("R-1", "anna", client={"email": "ivan@example.ru"})
    r = await api.post("/payments", json=body, headers={"Idempotency-Key": "r-sale"})
    (sale,) = await settled(world, [r.json()["job_id"]])
    # the buyer keeps one bottle of two: a card refund of one line's half
    r = await api.post("/orders/R-1/refunds", json={"amount": 35000, "lines": [
        {"line": 1, "quantity": "1"}]}, headers={"Idempotency-Key": "r-back"})
    assert r.status_code == 202, r.text
    (back,) = await settled(world, [r.json()["job_id"]])
    assert back["kind"] == "refund" and back["fiscal"]["fd"] > sale["fiscal"]["fd"]
    assert "&n=2" in back["fiscal"]["qr"] and "&s=350.00&" in back["fiscal"]["qr"]
    assert back["copy"]["status"] == "ofd"  # the tariff delivers e-mail: the OFD sends it

    async def at_ofd() -> bool:
        return (back["fiscal"]["fn"], back["fiscal"]["fd"]) in ofd.docs

    await eventually(at_ofd, within=30)
    ticket = ofd.docs[(back["fiscal"]["fn"], back["fiscal"]["fd"])].ticket
    assert ticket["operationType"] == 2 and ticket["totalSum"] == 35000  # 1054, 1020
    assert ticket["buyerAddress"] == "ivan@example.ru"  # the sale's 1008
    # the other bottle comes back, and a second phone then asks for it too: one refund
    again = {"amount": 35000, "refund_id": "2", "lines": [{"line": 1, "quantity": "1"}]}
    twice = {**again, "refund_id": "3"}
    a = await api.post("/orders/R-1/refunds", json=again, headers={"Idempotency-Key": "r2"})
    b = await api.post("/orders/R-1/refunds", json=twice, headers={"Idempotency-Key": "r3"})
    assert (a.status_code, b.status_code) == (202, 409)
    assert b.json()["error"]["code"] == "refund_exceeds_paid"
