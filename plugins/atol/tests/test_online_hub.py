"""ATOL Online through a running hub: kassa.toml's [[atol.online]] -> the plugin's
register_fiscal_devices -> hub.fiscal (validation, journal) -> the simulator."""

from __future__ import annotations

from pathlib import Path

import attrs
import kassa_atol
import pytest
from kassa.model import ReceiptError
from kassa.testing import make_hub
from kassa.testing.contracts.fiscal import sample_receipt
from kassa_atol.online.sim import AtolOnlineSimulator

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_receipt_through_the_hub_once(tmp_path: Path) -> None:
    sim = AtolOnlineSimulator()
    fragment = await sim.start()
    account = {**fragment["atol"]["online"][0], "name": "cloud", "poll_interval": 0.01,
               "retry_delay": 0.01, "state_file": str(tmp_path / "sent.jsonl")}
    config = {"atol": {"online": [account]}, "sites": [{"code": "s1", "fiscal": "cloud"}]}
    r = attrs.evolve(sample_receipt(), customer_contact="+79161234567")
    try:
        async with make_hub(config, tmp_path, plugins=[kassa_atol]) as hub:
            doc = await hub.fiscal.receipt(r, key="sale-1", site="s1")
            again = await hub.fiscal.receipt(r, key="sale-1", site="s1")
            with pytest.raises(ReceiptError):  # the core's rules first: nothing is sent
                await hub.fiscal.receipt(attrs.evolve(r, total=1), key="sale-2", site="s1")
    finally:
        await sim.stop()
    assert doc == again and doc.detail["external_id"] == "sale-1"
    assert sim.effects() == 1 and len(sim.docs) == 1
