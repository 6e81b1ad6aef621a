"""The core's fiscal contract against ``AtolRegister`` talking to the emulated Web Server over a
real socket. Probes: ``slow`` is the register's own execution delay, ``lose_answer`` drops the
connection in the middle of the finished request's answer."""

from __future__ import annotations

from kassa.testing.contracts import FiscalDeviceContract
from kassa_atol.register import AtolRegister
from kassa_atol.settings import RegisterSettings
from kassa_atol.sim import AtolSimulator
from kassa_atol.webserver import WebServerClient


class SimulatedRegister(AtolRegister):
    """An ``AtolRegister`` that brings its Web Server emulator up and down with it."""

    def __init__(self) -> None:
        self.sim = AtolSimulator("r1")
        super().__init__("atol-r1", RegisterSettings(name="atol-r1", poll_interval=0.01,
                                                     timeout=5.0))

    async def start(self) -> None:
        await self.sim.start()
        self.client = WebServerClient(self.sim.url, register=self.name, poll_interval=0.01,
                                      timeout=5.0)

    async def stop(self) -> None:
        await super().stop()
        await self.sim.stop()

    def effects(self) -> int:
        return self.sim.effects()


class TestAtolWebServer(FiscalDeviceContract):
    make_device = staticmethod(SimulatedRegister)

    def slow(self, component: SimulatedRegister, seconds: float) -> None:
        component.sim.web.delay = seconds

    def lose_answer(self, component: SimulatedRegister) -> None:
        component.sim.faults.drop_answers = 1
