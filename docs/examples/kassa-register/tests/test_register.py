"""The training register passes the core's fiscal contract: one line to subclass, plus
the two probes this register needs (how to slow it down, how to lose an answer)."""

from __future__ import annotations

from typing import Any

from kassa.model import FiscalDocument, Receipt
from kassa.testing.contracts import FiscalDeviceContract
from kassa_register.tape import TapeRegister


class TestTapeRegister(FiscalDeviceContract):
    make_device = staticmethod(lambda tmp_path: TapeRegister("training", tmp_path / "tape"))

    def slow(self, component: TapeRegister, seconds: float) -> None:
        component.print_delay = seconds

    def lose_answer(self, component: Any) -> None:  # Any: its method is swapped below
        """The document is printed and archived, then the cable is pulled."""
        receipt = component.receipt

        async def lost(r: Receipt, key: str) -> FiscalDocument:
            await receipt(r, key)
            component.receipt = receipt
            raise ConnectionError("USB cable pulled")

        component.receipt = lost
