"""A till in its own process, for the crash tests: a hub on ``DATA`` whose register (or card
terminal) keeps its far end in ``FAR``; it makes one receipt (or card charge) with ``KEY``
and prints the result as JSON. ``--stall before|after|answered`` makes the component wait
inside the call (before acting, after acting, after answering) so the test can SIGKILL it.

    python till.py DATA FAR receipt|card KEY [--stall before|after|answered]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import anyio
from kassa import hookimpl
from kassa.model import Cashier
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt
from kassa.testing.fakes import FakeRegister, FakeTerminal

STALL = 60.0  # seconds: far longer than the test waits before it kills


class Answered:
    """Passes the call through, then stalls with the answer in hand: the far end answered
    but the journal has not recorded it yet."""

    def __init__(self, inner, marker: Path) -> None:
        self.inner, self.marker, self.name = inner, marker, inner.name

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def _then_stall(self, result):
        self.marker.write_text("answered")
        await anyio.sleep(STALL)
        return result

    async def receipt(self, receipt, key):
        return await self._then_stall(await self.inner.receipt(receipt, key))

    async def purchase(self, amount, key, order_ref=None):
        return await self._then_stall(await self.inner.purchase(amount, key, order_ref))


class Components:
    def __init__(self, register, terminal) -> None:
        self.register, self.terminal = register, terminal

    @hookimpl
    def register_fiscal_devices(self, hub):
        return [self.register]

    @hookimpl
    def register_payment_methods(self, hub):
        return [self.terminal]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("far")
    ap.add_argument("what", choices=["receipt", "card"])
    ap.add_argument("key")
    ap.add_argument("--stall", choices=["before", "after", "answered"])
    a = ap.parse_args()
    far = Path(a.far)
    register = FakeRegister("fr1", path=far.with_suffix(".fr.db"))
    terminal = FakeTerminal("card1", path=far.with_suffix(".card.db"))
    target = register if a.what == "receipt" else terminal
    marker = far.with_suffix(".answered")
    reg = Answered(register, marker) if a.stall == "answered" and a.what == "receipt" \
        else register
    term = Answered(terminal, marker) if a.stall == "answered" and a.what == "card" \
        else terminal
    cfg = {"sites": [{"code": "s1", "fiscal": "fr1", "terminals": ["card1"]}],
           "stations": [{"code": "t1", "site": "s1"}]}
    async with make_hub(cfg, a.data, plugins=[Components(reg, term)]) as hub:
        if a.what == "receipt":
            if not (await register.status()).shift_open:
                await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1",
                                            station="t1")
        if a.stall == "before":  # after the shift is open: only the sale stalls
            target.delay = STALL
        elif a.stall == "after":
            target.answer_delay = STALL
        if a.what == "receipt":
            doc = await hub.fiscal.receipt(sample_receipt(), key=a.key, site="s1",
                                           station="t1")
            out: dict[str, object] = {"number": doc.number, "total": doc.total}
        else:
            card = await hub.payments.purchase(15000, key=a.key, site="s1", station="t1")
            out = {"rrn": card.rrn, "amount": card.amount}
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    anyio.run(main)
