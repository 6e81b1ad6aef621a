"""The Shtrih-M emulator's FN transmits to the OFD emulator (fiscal.md §9 tickets through the
core's kassa.testing.ofd, the register knowing no OFD plugin), printing through hub.fiscal:
the receipt reaches the OFD with its sums, items and buyer contact, and the OFD plugin's
reconcile finds it; during an OFD outage the FN's unsent counter (FF39, read by
``hub.fiscal.status``) grows and names the oldest document; after it the backlog drains in
order, each document once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import kassa_ofd
import kassa_shtrih
import pytest
from kassa.model import Cashier, PaymentKind, ReceiptPayment
from kassa.testing import make_hub
from kassa.testing.contracts.fiscal import sample_receipt
from kassa.testing.simulator_cli import wait_for
from kassa_ofd.service import service_for
from kassa_ofd.sim import OfdSimulator
from kassa_shtrih.sim import ShtrihSimulator

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    ofd = OfdSimulator(rate=1000.0, burst=1000)
    ofd_fragment = await ofd.start()
    sim = ShtrihSimulator(ofd_url=ofd.base_url, ofd_retry=0.05, ofd_max_retry=0.2)
    try:
        reg = (await sim.start())["shtrih"]["registers"][0]
        config: dict[str, Any] = {
            "shtrih": {"registers": [{**reg, "byte_timeout": 0.2}]},
            "sites": [{"code": "s1", "fiscal": reg["name"]}],
            "fiscal": {"poll_interval": 0},
            "ofd": {**ofd_fragment["ofd"], "missing_after_hours": 6,
                    "reconcile_every_minutes": 0}}
        async with make_hub(config, tmp_path, plugins=[kassa_shtrih, kassa_ofd]) as hub:
            yield {"hub": hub, "ofd": ofd, "sim": sim}
    finally:
        await sim.stop()
        await ofd.stop()


async def at_ofd(ofd: OfdSimulator, fn: str, fd: int) -> None:
    async def there() -> bool:
        return (fn, fd) in ofd.docs
    await wait_for(there, 30)


async def test_the_shtrih_fn_transmits_through_an_outage(world: dict[str, Any]) -> None:
    hub, ofd = world["hub"], world["ofd"]
    sim: ShtrihSimulator = world["sim"]
    fr = sim.fr
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="shift", site="s1")
    sale = attrs.evolve(sample_receipt(12000), customer_contact="buyer@example.com",
                        payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=5000),
                                  ReceiptPayment(kind=PaymentKind.ELECTRONIC, amount=7000)],
                        cashier=Cashier(name="Иванова"))
    first = await hub.fiscal.receipt(sale, key="sale-1", site="s1")
    await at_ofd(ofd, fr.fn_number, int(first.number or 0))
    ticket = ofd.docs[(fr.fn_number, int(first.number or 0))].ticket
    assert (ticket["code"], ticket["operationType"], ticket["totalSum"]) == (3, 1, 12000)
    assert (ticket["cashTotalSum"], ticket["ecashTotalSum"]) == (5000, 7000)
    assert ticket["buyerAddress"] == "buyer@example.com" and ticket["operator"] == "Иванова"
    assert [i["sum"] for i in ticket["items"]] == [12000] and ticket["items"][0]["nds"] == 11
    assert ticket["fiscalSign"] == int(first.fiscal_sign or 0)
    assert (await hub.fiscal.status(site="s1")).unsent_documents == 0
    since = hub.clock.now() - timedelta(hours=1)
    r = await service_for(hub).reconcile(since)
    assert (r.checked, r.at_ofd, r.missing) == (1, 1, ())

    ofd.outage = True  # the OFD's intake answers 503
    late = [await hub.fiscal.receipt(sample_receipt(20000 + i), key=f"late-{i}", site="s1")
            for i in range(2)]

    async def backlog_of_two() -> bool:
        return fr.ofd_error != "" and fr.ofd_backlog == 2
    await wait_for(backlog_of_two, 30)
    status = await hub.fiscal.status(site="s1")
    assert status.unsent_documents == 2  # FF39, what the FN has not had confirmed
    assert status.oldest_unsent_at is not None
    assert status.oldest_unsent_at.replace(second=0) == late[0].issued_at.replace(second=0)
    assert sim.link is not None and sim.link.attempts > sim.link.sent

    ofd.outage = False
    for doc in late:
        await at_ofd(ofd, fr.fn_number, int(doc.number or 0))
    assert (await hub.fiscal.status(site="s1")).unsent_documents == 0
    numbers = [fd for fn, fd in ofd.docs if fn == fr.fn_number]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) == 4  # shift too
    assert all(d.ofd_confirmed for d in fr.documents.values())


async def test_the_registers_own_network_down_sends_nothing(world: dict[str, Any]) -> None:
    hub, ofd = world["hub"], world["ofd"]
    sim: ShtrihSimulator = world["sim"]
    sim.control("ofd-link off")
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="shift", site="s1")
    await hub.fiscal.receipt(sample_receipt(), key="sale", site="s1")
    assert (await hub.fiscal.status(site="s1")).unsent_documents == 2
    assert not ofd.docs and sim.link is not None and sim.link.attempts == 0
    sim.control("ofd-link on")

    async def drained() -> bool:
        return sim.fr.ofd_backlog == 0
    await wait_for(drained, 30)
    assert len(ofd.docs) == 2
