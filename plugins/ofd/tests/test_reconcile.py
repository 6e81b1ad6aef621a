"""Reconciliation through a running hub: the fake register makes receipts (the journal
holds them), only some reach the OFD emulator; one alert per overdue receipt, none again
once it arrived; "was my receipt sent?" over the hub's HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import kassa_ofd
import pytest
from kassa import codec, hookimpl
from kassa.model import Cashier
from kassa.testing import FakeClock, make_hub
from kassa.testing.contracts.fiscal import sample_receipt
from kassa.testing.fakes import FakeRegister
from kassa_ofd.kinds import RECEIPT_MISSING
from kassa_ofd.service import service_for
from kassa_ofd.sim import OfdSimulator

from .conftest import sim_fragment, ticket_of

pytestmark = pytest.mark.anyio
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Registers:
    def __init__(self, reg: Any) -> None:
        self.reg = reg

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return [self.reg]


@pytest.fixture
def hub_clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def ofd_sim(hub_clock: FakeClock) -> AsyncIterator[OfdSimulator]:
    s = OfdSimulator(now=hub_clock.now, rate=1000.0, burst=1000)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def hub(tmp_path: Path, hub_clock: FakeClock, ofd_sim: OfdSimulator) -> AsyncIterator[Any]:
    reg = FakeRegister("fr1", path=tmp_path / "fr1.db", clock=hub_clock)
    config = {"sites": [{"code": "s1", "fiscal": "fr1"}], "fiscal": {"poll_interval": 0},
              "ofd": {**sim_fragment(ofd_sim), "missing_after_hours": 6,
                      "reconcile_every_minutes": 0}}
    async with make_hub(config, tmp_path, plugins=[kassa_ofd, Registers(reg)],
                        clock=hub_clock, api=True) as h:
        await h.fiscal.open_shift(Cashier(name="Иванова"), key="shift-1", site="s1")
        yield h


async def test_a_missing_receipt_alerts_once_and_not_after_it_arrived(hub, ofd_sim, hub_clock):
    first = await hub.fiscal.receipt(sample_receipt(10000), key="sale-1", site="s1")
    hub_clock.advance(60)
    second = await hub.fiscal.receipt(sample_receipt(25000), key="sale-2", site="s1")
    ofd_sim.take(ticket_of(first))  # the FN transmitted only the first one
    svc = service_for(hub)
    since = START - timedelta(hours=1)

    early = await svc.reconcile(since)  # not due yet: waiting, no alert
    assert (early.checked, early.at_ofd, early.alerts) == (2, 1, 0)
    assert [m.doc.number for m in early.waiting] == [second.number]

    hub_clock.advance(7 * 3600)
    r = await svc.reconcile(since)
    assert [m.key for m in r.missing] == ["sale-2"] and r.alerts == 1
    again = await svc.reconcile(since)
    assert len(again.missing) == 1 and again.alerts == 0  # the same fact: no second alert
    events = await hub.events(kinds=[RECEIPT_MISSING])
    assert len(events) == 1
    ev = events[0]
    assert ev.site == "s1" and ev.data["fd"] == second.number and ev.amount == 25000
    assert f"№ {second.number}" in (ev.text or "") and str(second.fn) in (ev.text or "")

    ofd_sim.take(ticket_of(second))  # it arrives late
    after = await svc.reconcile(since)
    assert (after.missing, after.at_ofd, after.alerts) == ((), 2, 0)
    assert len(await hub.events(kinds=[RECEIPT_MISSING])) == 1


async def test_was_my_receipt_sent_over_the_hub_api(hub, ofd_sim):
    doc = await hub.fiscal.receipt(sample_receipt(), key="sale-1", site="s1")
    url = f"http://127.0.0.1:{hub.api_port}/api/ofd/v1"
    auth = {"Authorization": "Bearer test-token"}
    async with httpx.AsyncClient() as http:
        denied = await http.post(f"{url}/sent", json=codec.to_dict(doc))
        assert denied.status_code == 401
        r = await http.post(f"{url}/sent", json=codec.to_dict(doc), headers=auth)
        assert r.status_code == 200, r.text
        assert r.json()["at_ofd"] is False and r.json()["ofd_delivers_email"] is False
        ofd_sim.take(ticket_of(doc, buyer="guest@example.ru"))
        r = await http.post(f"{url}/sent", json=codec.to_dict(doc), headers=auth)
        assert r.json()["at_ofd"] is True and r.json()["received_at"]
        shown = await http.get(f"{url}/receipt", params={"fn": doc.fn, "fd": doc.number},
                               headers=auth)
        assert shown.status_code == 200
        assert shown.json()["document"]["Document"]["Buyer_Address"] == "guest@example.ru"
        none = await http.get(f"{url}/receipt", params={"fn": doc.fn, "fd": 999},
                              headers=auth)
        assert none.status_code == 404
        ofd_sim.outage = True
        down = await http.post(f"{url}/sent", json=codec.to_dict(doc), headers=auth)
        assert down.status_code == 503 and down.headers["retry-after"]
    assert ofd_sim.outbox == []  # the tariff does not include delivery: nothing sent
