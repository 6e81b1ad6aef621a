"""The core's fiscal contract, over both transports: a real journal, the emulator behind a
TCP socket or a pty, answers lost after FF45 and calls cancelled mid-exchange."""

from __future__ import annotations

from pathlib import Path

from kassa.testing.contracts import FiscalDeviceContract
from kassa_shtrih import commands as c
from kassa_shtrih.sim.harness import SimRegister


class _Probes(FiscalDeviceContract):
    def slow(self, component: SimRegister, seconds: float) -> None:
        component.sim.delay = seconds

    def lose_answer(self, component: SimRegister) -> None:
        component.sim.drop_answer_to = c.CLOSE_V2  # the receipt is made, its answer is lost


class TestOverTcp(_Probes):
    make_device = staticmethod(lambda tmp_path: SimRegister(Path(tmp_path) / "state", "tcp"))


class TestOverPty(_Probes):
    make_device = staticmethod(lambda tmp_path: SimRegister(Path(tmp_path) / "state", "pty"))
