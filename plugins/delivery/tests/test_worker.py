"""The queue through a running hub: jobs fiscalised once, in order, on the office register
(the core's fake register); a register offline keeps the order and alerts once over the wait;
the contact chain's warnings reach the managers' chat; a refused receipt fails its job only."""

from __future__ import annotations

from typing import Any

import pytest
from kassa.testing import eventually

from .conftest import APP, DRIVER, idem, payment

pytestmark = pytest.mark.anyio


async def _job(api: Any, job_id: int) -> dict[str, Any]:
    r = await api.get(f"/jobs/{job_id}", headers=APP)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _wait_status(api: Any, hub: Any, job_id: int, status: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def ok() -> bool:
        seen.update(await _job(api, job_id))
        return bool(seen["status"] == status)

    await eventually(ok, hub=hub, within=30)
    return seen


async def test_a_payment_is_fiscalised_with_1008_and_the_shift_opened(api, hub, register):
    r = await api.post("/payments", json=payment(), headers=idem("p-1"))
    job = await _wait_status(api, hub, r.json()["job_id"], "fiscalised")
    assert register.effects("shift_open") == 1 and register.effects("receipt") == 1
    f = job["fiscal"]
    assert f["fd"] == 2 and f["fp"] and f["qr"].startswith("t=") and "&s=850.00&" in f["qr"]
    assert job["copy"]["source"] == "client_email" and job["copy"]["to"] == "iv***@example.ru"
    assert job["warnings"] == []
    entry = await hub.journal.get("delivery:" + str(job["job_id"]))
    assert entry is not None


async def test_register_offline_keeps_order_and_alerts_once(api, hub, register, clock, channel):
    register.offline = True
    ids = []
    for n in range(5):
        r = await api.post("/payments", json=payment(f"O-{n}"), headers=idem(f"o-{n}"))
        assert r.status_code == 202
        ids.append(r.json()["job_id"])

    async def waiting() -> bool:
        return (await _job(api, ids[0]))["waiting"] is not None

    await eventually(waiting, hub=hub)
    first = await _job(api, ids[0])
    assert first["status"] == "queued"
    assert "does not answer" in first["waiting"]["reason"]  # the register's own words
    clock.advance(11 * 60)  # over max_wait_minutes

    async def alerted() -> bool:
        events = await hub.events(kinds=["delivery_register_waiting"])
        return len(events) == 1

    await eventually(alerted, hub=hub)
    clock.advance(60)
    await hub.drain(timeout=0.5)
    assert len(await hub.events(kinds=["delivery_register_waiting"])) == 1  # once per outage
    register.offline = False
    for i in ids:
        await _wait_status(api, hub, i, "fiscalised")
    docs = [d for d in register.documents() if d.kind == "receipt"]
    assert len(docs) == 5
    fds = [(await _job(api, i))["fiscal"]["fd"] for i in ids]
    assert fds == sorted(fds)  # in acceptance order
    assert any("ждут" in m for m in channel.texts())


@pytest.mark.parametrize(("order", "body", "source", "warnings"), [
    ("C-1", {"address": {"ofd_contact": "+7 (916) 765-43-21", "phones": []}},
     "ofd_field", []),
    ("C-2", {"address": {"ofd_contact": "ivan@", "phones": ["8 916 111-22-33"]},
             "client": {"name": "Иван"}}, "address_phone", ["contact_ofd_field_invalid"]),
    ("C-3", {"address": {"phones": ["+7 495 123-45-67"]}, "client": {"name": "Иван"}},
     None, ["contact_no_mobile", "contact_missing"]),
    ("C-4", {"address": {}, "client": {}}, None, ["contact_missing"]),
])
async def test_contact_chain_branches(api, hub, channel, order, body, source, warnings):
    r = await api.post("/payments", json=payment(order, **body), headers=idem(order))
    assert r.status_code == 202, r.text
    job = await _wait_status(api, hub, r.json()["job_id"], "fiscalised")
    assert job["copy"]["source"] == source
    assert [w["code"] for w in job["warnings"]] == warnings
    if source is None:
        assert job["copy"]["status"] == "not_sent" and job["copy"]["reason"]
        events = await hub.events(kinds=["delivery_contact_missing"])
        assert len(events) == 1 and events[0].order == order

        async def told() -> bool:
            return any(order in m for m in channel.texts())

        await eventually(told, hub=hub)


async def test_modes_office_print_and_none(api, hub, register):
    r = await api.post("/payments", json=payment("M-1", driver="boris"), headers=idem("m1", APP))
    job = await _wait_status(api, hub, r.json()["job_id"], "fiscalised")
    assert job["copy"]["status"] == "none"
    r = await api.post("/payments", json=payment("M-2", driver="vera"), headers=idem("m2", APP))
    assert r.json()["status"] == "skipped"
    await hub.drain(timeout=0.3)
    assert register.effects("receipt") == 1


async def test_a_refused_receipt_fails_its_job_and_the_queue_goes_on(api, hub, register):
    from kassa.model import Cashier

    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="shift-1", site="d1")
    register.fn_full = True
    r = await api.post("/payments", json=payment("F-1"), headers=idem("f1"))
    job = await _wait_status(api, hub, r.json()["job_id"], "failed")
    assert "FN" in job["error"] and register.effects("receipt") == 0
    assert len(await hub.events(kinds=["delivery_receipt_failed"])) == 1
    register.fn_full = False
    r = await api.post("/payments", json=payment("F-2"), headers=idem("f2"))
    await _wait_status(api, hub, r.json()["job_id"], "fiscalised")
    assert register.effects("receipt") == 1


async def test_driver_summary(api, hub):
    for n, kind in enumerate(["cash", "card", "cash"]):
        body = payment(f"S-{n}", payment={"kind": kind, "amount": 85000})
        r = await api.post("/payments", json=body, headers=idem(f"s{n}"))
        await _wait_status(api, hub, r.json()["job_id"], "fiscalised")
    s = (await api.get("/drivers/anna/summary", headers=DRIVER)).json()
    assert (s["jobs"], s["fiscalised"], s["cash"], s["card"]) == (3, 3, 170000, 85000)


async def test_was_it_sent_without_the_ofd_plugin(api, hub):
    r = await api.post("/payments", json=payment("W-1"), headers=idem("w1"))
    job_id = r.json()["job_id"]
    early = await api.get(f"/jobs/{job_id}/ofd", headers=APP)
    if early.status_code == 409:  # not fiscalised yet: said so
        assert early.json()["error"]["code"] == "not_fiscalised"
    await _wait_status(api, hub, job_id, "fiscalised")
    r = await api.get(f"/jobs/{job_id}/ofd", headers=APP)
    assert r.status_code == 404 and r.json()["error"]["code"] == "ofd_not_installed"
