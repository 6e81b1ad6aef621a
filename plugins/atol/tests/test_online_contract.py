"""The core's FiscalDeviceContract against AtolOnlineRegister and its simulator, over a
real socket. A cloud register has no shifts of its own to open or close: the two tests
about them are replaced by what it does instead (Permanent, with the reason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
from kassa.errors import Permanent
from kassa.model import FiscalStatus, Receipt
from kassa.testing.contracts.fiscal import FiscalDeviceContract, sample_receipt
from kassa_atol.online import AtolOnlineRegister, OnlineSettings
from kassa_atol.online.sim import AtolOnlineSimulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class SimBackedRegister(AtolOnlineRegister):
    """The register and the simulator it talks to; the harness's stop() ends both."""

    def __init__(self, sim: AtolOnlineSimulator, cfg: OnlineSettings) -> None:
        super().__init__(cfg.name, cfg, None)
        self.sim = sim

    async def start(self) -> None:
        """The simulator is already serving (the factory started it); having ``start``
        makes the harness call ``stop`` too."""

    async def stop(self) -> None:
        await super().stop()
        await self.sim.stop()


async def make_register(tmp_path: Path) -> SimBackedRegister:
    sim = AtolOnlineSimulator(hang_seconds=2.0)
    fragment = await sim.start()
    cfg = OnlineSettings(**fragment["atol"]["online"][0],
                         state_file=str(tmp_path / "sent.jsonl"), request_timeout=0.5,
                         poll_interval=0.01, wait_timeout=5, retry_delay=0.01)
    return SimBackedRegister(sim, cfg)


class TestAtolOnlineContract(FiscalDeviceContract):
    make_device = staticmethod(make_register)

    def receipt(self, total: int = 15000) -> Receipt:
        # ATOL Online sends every receipt to the buyer: a contact (1008) is required
        return attrs.evolve(sample_receipt(total), customer_contact="buyer@example.ru")

    async def effects(self, component: Any) -> int:
        return int(component.sim.effects())

    def slow(self, component: Any, seconds: float) -> None:
        component.sim.delay = seconds

    def lose_answer(self, component: Any) -> None:
        component.sim.hang = 1  # the POST is taken, its answer never comes (client times out)

    async def test_receipt_with_the_shift_closed_is_a_user_error(self, tmp_path: Path) -> None:
        pytest.skip("ATOL Online opens and closes shifts itself: a shift is never closed "
                    "to the POS (fiscal.md §2.4 has no shift operation)")

    async def test_shift_open_close_and_status_are_typed(self, tmp_path: Path) -> None:
        # replaces the shift round trip: status is typed and "open", shift calls refuse
        async with self.harness(tmp_path) as (reg, _):
            st = await reg.status()
            assert isinstance(st, FiscalStatus) and st.shift_open and st.ready
            for call in (lambda: reg.open_shift(self.cashier, key="o1"),
                         lambda: reg.close_shift(self.cashier, key="z1")):
                with pytest.raises(Permanent, match="смен"):
                    await call()


def test_register_and_simulator_fit_their_protocols(tmp_path: Path) -> None:
    from kassa.conformance import component_problems
    from kassa.hookspecs.app import Simulator
    from kassa.hookspecs.fiscal import FiscalDevice

    cfg = OnlineSettings(state_file=str(tmp_path / "s.jsonl"))
    assert component_problems(AtolOnlineRegister("c", cfg, None), FiscalDevice) == []
    assert component_problems(AtolOnlineSimulator(), Simulator) == []
