"""A till in its own process, for the pos crash tests: a hub on ``DATA`` with a Till whose
register and card terminal keep their far ends beside ``FAR``; it sells one check (two lines)
and pays it card + cash, stalling at ``--stall`` so the test can SIGKILL it there:

- ``card``: the terminal charged and answered; the journal has not recorded the answer
- ``receipt``: the card is captured; the register is about to print
- ``printed``: the register printed and answered; the journal has not recorded it
- ``scanned``: both lines scanned (committed without an fsync), nothing paid

    python pay_at_till.py DATA FAR --stall card|receipt|printed|scanned
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import anyio
import kassa_pos
from kassa import hookimpl
from kassa.model import VatRate
from kassa.testing import make_hub
from kassa.testing.fakes import FakeRegister, FakeTerminal
from kassa_pos.engine.catalog import Catalog, Item
from kassa_pos.engine.pay import PayConfig
from kassa_pos.engine.prices import PriceList
from kassa_pos.engine.rights import Person, Role
from kassa_pos.engine.till import Till
from kassa_pos.engine.values import Tender

STALL = 60.0  # far longer than the test waits before it kills
CFG = {"sites": [{"code": "s1", "name": "Магазин", "fiscal": "fr1", "terminals": ["card1"]}],
       "stations": [{"code": "till1", "site": "s1"}],
       "pos": {"store": "s1", "tills": [{"name": "till1"}],
               "staff": [{"code": "1", "name": "Анна", "role": "cashier"}]}}
ANNA = Person("1", "Анна", Role.CASHIER)
ITEMS = [Item(code="m1", name="Молоко", vat=VatRate.VAT10, barcodes=("4600000000011",)),
         Item(code="b1", name="Хлеб", vat=VatRate.VAT10, barcodes=("4600000000035",))]
PRICES = PriceList(code="base", name="Базовый", prices={"m1": 8990, "b1": 4550})
CARD, CASH = 10000, 20000  # the check is 2 x 89,90 + 45,50 = 225,30; change 74,70


class Stall:
    """Passes the calls through; at the chosen one, marks the file and stalls (before the
    call, or after it with the answer in hand)."""

    def __init__(self, inner: Any, marker: Path, call: str, after: bool) -> None:
        self.inner, self.marker, self.call, self.after = inner, marker, call, after
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name != self.call:
            return attr

        async def stalled(*args: Any, **kw: Any) -> Any:
            if not self.after:
                self.marker.write_text(name)
                await anyio.sleep(STALL)
            result = await attr(*args, **kw)
            self.marker.write_text(name)
            await anyio.sleep(STALL)
            return result
        return stalled


class Parts:
    def __init__(self, far: Path, stall: str | None) -> None:
        self.reg: Any = FakeRegister("fr1", path=far.with_suffix(".fr.db"))
        self.card: Any = FakeTerminal("card1", path=far.with_suffix(".card.db"), suspend=True)
        marker = far.with_suffix(".stalled")
        if stall == "card":
            self.card = Stall(self.card, marker, "purchase", after=True)
        elif stall in ("receipt", "printed"):
            self.reg = Stall(self.reg, marker, "receipt", after=stall == "printed")

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return [self.reg]

    @hookimpl
    def register_payment_methods(self, hub: Any) -> list[Any]:
        return [self.card]


def hub(data: Path, far: Path, stall: str | None = None) -> Any:
    return make_hub(CFG, data, plugins=[kassa_pos, Parts(far, stall)])


async def till_of(h: Any) -> Till:
    catalog = Catalog.of(ITEMS, [PRICES], site="s1", clock=h.clock)
    return await Till.open(h, "till1", catalog=catalog, config=PayConfig(terminals=("card1",)))


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("far", type=Path)
    ap.add_argument("--stall", choices=["card", "receipt", "printed", "scanned"],
                    required=True)
    a = ap.parse_args()
    async with hub(a.data, a.far, a.stall) as h:
        till = await till_of(h)
        await till.open_shift(ANNA, float_=100000)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA, quantity=2)
        await till.scan(check, "4600000000035", actor=ANNA)
        if a.stall == "scanned":
            a.far.with_suffix(".stalled").write_text("scanned")
            await anyio.sleep(STALL)
        await till.pay(check, [Tender(kind="card", amount=CARD, terminal="card1"),
                               Tender(kind="cash", amount=CASH)], actor=ANNA)


if __name__ == "__main__":
    anyio.run(main)
