"""The OFD side end to end: two ATOL registers (Web Server emulators) whose FNs transmit to the
OFD.ru emulator (fiscal.md §9 tickets, the registers knowing no OFD plugin), a hub printing
through hub.fiscal with the OFD plugin reconciling its journal against the OFD's merchant API.

A receipt reaches the OFD and reconcile finds it; the OFD's intake goes down, the first
register's unsent counter (``ofdExchangeStatus``, read by ``hub.fiscal.status``) grows and the
oldest unsent document is named; the OFD comes back, the backlog drains in order, and after the
overdue time the missing-receipt alert fires once, for the second register's receipt only (its
own network never came up), never for the ones that arrived late."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kassa_atol
import kassa_ofd
import pytest
from kassa.demo import DemoSettings, merge, merge_sites, publish_endpoints
from kassa.model import Cashier
from kassa.testing import FakeClock, make_hub
from kassa.testing.contracts.fiscal import sample_receipt
from kassa.testing.simulator_cli import wait_for
from kassa_atol.sim import AtolSimulator
from kassa_atol.sim.kkt import MSK
from kassa_ofd.kinds import RECEIPT_MISSING
from kassa_ofd.service import service_for
from kassa_ofd.sim import OfdSimulator

pytestmark = pytest.mark.anyio
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class RegisterClock:
    """The hub's fake clock as a register in Moscow reads it (its wall clock is local)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now().astimezone(MSK)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    clock = FakeClock(START)
    ofd = OfdSimulator(now=clock.now, rate=1000.0, burst=1000)
    ofd_fragment = await ofd.start()
    r1 = AtolSimulator("r1", clock=RegisterClock(clock), ofd_url=ofd.base_url,
                       ofd_retry=0.05, ofd_max_retry=0.2)
    r2 = AtolSimulator("r2", clock=RegisterClock(clock), ofd_url=ofd.base_url,
                       fn="9999078900000962", reg_number="0000000002002292", ofd_retry=0.05)
    r2.faults.ofd_failing = True  # this register's own link to the OFD never comes up
    config: dict[str, Any] = {}
    try:
        for sim in (r1, r2):
            config = merge(config, await sim.start())
        config = merge_sites(config)
        config["fiscal"] = {"poll_interval": 0}
        config["ofd"] = {**ofd_fragment["ofd"], "missing_after_hours": 6,
                         "reconcile_every_minutes": 0}
        async with make_hub(config, tmp_path, plugins=[kassa_atol, kassa_ofd],
                            clock=clock) as hub:
            yield {"hub": hub, "clock": clock, "ofd": ofd, "r1": r1, "r2": r2}
    finally:
        for sim in (r1, r2):
            await sim.stop()
        await ofd.stop()


async def at_ofd(ofd: OfdSimulator, fn: str, fd: int) -> None:
    async def there() -> bool:
        return (fn, fd) in ofd.docs
    await wait_for(there, 30)


async def test_receipts_reach_the_ofd_through_an_outage_and_only_the_lost_one_alerts(world):
    hub, clock, ofd = world["hub"], world["clock"], world["ofd"]
    r1, r2 = world["r1"], world["r2"]
    for site in ("r1", "r2"):
        await hub.fiscal.open_shift(Cashier(name="Иванова"), key=f"shift-{site}", site=site)
    first = await hub.fiscal.receipt(sample_receipt(10000), key="sale-1", site="r1")
    assert first.fn == r1.kkt.fn and first.register_number == r1.kkt.reg_number
    await at_ofd(ofd, str(first.fn), int(first.number or 0))
    svc = service_for(hub)
    since = START - timedelta(hours=1)
    r = await svc.reconcile(since)
    assert (r.checked, r.at_ofd, r.missing, r.alerts) == (1, 1, (), 0)
    sent = await svc.was_sent(first)
    assert sent.at_ofd and sent.received_at is not None

    ofd.outage = True  # the OFD's intake (and its API) answer 503
    clock.advance(60)
    late = [await hub.fiscal.receipt(sample_receipt(20000 + i), key=f"sale-late-{i}", site="r1")
            for i in range(2)]
    lost = await hub.fiscal.receipt(sample_receipt(30000), key="sale-lost", site="r2")

    async def backlog_of_two() -> bool:
        return r1.kkt.ofd_error != "" and len(r1.kkt.unsent) == 2
    await wait_for(backlog_of_two, 30)
    status = await hub.fiscal.status(site="r1")
    assert status.unsent_documents == 2  # what the FN has not had confirmed
    assert status.oldest_unsent_at is not None
    assert status.oldest_unsent_at == late[0].issued_at
    assert (await hub.fiscal.status(site="r2")).unsent_documents == 2  # its shift + receipt

    ofd.outage = False
    for doc in late:
        await at_ofd(ofd, str(doc.fn), int(doc.number or 0))
    assert (await hub.fiscal.status(site="r1")).unsent_documents == 0
    numbers = [fd for fn, fd in ofd.docs if fn == r1.kkt.fn]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) == 4

    early = await svc.reconcile(since)  # the lost one is not overdue yet: waiting
    assert early.at_ofd == 3 and [m.key for m in early.waiting] == ["sale-lost"]
    assert early.alerts == 0

    clock.advance(7 * 3600)
    r = await svc.reconcile(since)
    assert [m.key for m in r.missing] == ["sale-lost"] and r.alerts == 1 and r.at_ofd == 3
    again = await svc.reconcile(since)
    assert again.alerts == 0  # the same fact: no second alert
    events = await hub.events(kinds=[RECEIPT_MISSING])
    assert len(events) == 1
    ev = events[0]
    assert ev.site == "r2" and ev.data["fd"] == lost.number and ev.data["fn"] == r2.kkt.fn
    assert ev.amount == 30000 and f"№ {lost.number}" in (ev.text or "")
    assert not (await svc.was_sent(lost)).at_ofd
    assert r2.link is not None and r2.link.attempts == 0  # it never even tried


async def test_the_demo_wires_every_registers_fn_to_the_ofd_emulator(tmp_path: Path):
    settings = DemoSettings(sites=["r1", "r2"], site_count=2, speed=600.0, seed=7, locale="ru")
    sims: list[Any] = [*kassa_ofd.register_simulators(settings),
                       *kassa_atol.register_simulators(settings)]
    publish_endpoints(sims, settings)  # as kassa demo does, before any starts
    ofd = sims[0]
    assert isinstance(ofd, OfdSimulator) and settings.endpoints["ofd_url"] == ofd.base_url
    config: dict[str, Any] = {}
    try:
        for sim in sims:
            config = merge(config, await sim.start())
        config = merge_sites(config)
        config["ofd"]["reconcile_every_minutes"] = 0
        async with make_hub(config, tmp_path, plugins=[kassa_atol, kassa_ofd]) as hub:
            made = [await hub.fiscal.receipt(sample_receipt(), key=f"demo:{site}", site=site)
                    for site in ("r1", "r2")]
            assert made[0].fn != made[1].fn  # an OFD keys its documents by FN + FD
            for doc in made:
                await at_ofd(ofd, str(doc.fn), int(doc.number or 0))
            r = await service_for(hub).reconcile(hub.clock.now() - timedelta(hours=1))
            assert (r.checked, r.at_ofd, r.missing) == (2, 2, ())
    finally:
        for sim in reversed(sims):
            await sim.stop()
