"""What the emulated Shtrih-M FN transmits to an OFD: each fiscal document in the archive as
the §9 ticket (fiscal.md §9, through the core's test kit ``kassa.testing.ofd``), and the FN's
unsent documents as the kit's ``Outbox``, so ``kassa.testing.ofd.OfdLink`` sends them oldest
first and the FN's backlog (FF39) drains only on the OFD's 200."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kassa.model.ffd import VatRate
from kassa.testing import ofd as kit

from kassa_shtrih import commands as c
from kassa_shtrih.sim.archive import Doc

if TYPE_CHECKING:
    from kassa_shtrih.sim.fr import Register

# FF45 slot (0-based) -> its FFD sum tag: 1 cash; 2..13 non-cash; 14..16 prepayment, credit,
# counter-provision (the plugin's mapping.SLOTS, unverified firmware defaults)
SLOT_TAGS = {0: 1031, **{i: 1081 for i in range(1, 13)}, 13: 1215, 14: 1216, 15: 1217}


def vat_rate(tax_byte: int, main_vat: int) -> VatRate | None:
    """FF46's tax-rate bit back to the rate (``mapping.tax_byte``'s table)."""
    main = {0x01: VatRate.VAT22, 0x10: VatRate.VAT22_122} if main_vat == 22 else \
        {0x01: VatRate.VAT20, 0x10: VatRate.VAT20_120}
    return {0x02: VatRate.VAT10, 0x04: VatRate.VAT0, 0x08: VatRate.NONE,
            0x20: VatRate.VAT10_110, **main}.get(tax_byte)


# the VAT amounts §9 names (20 % and 10 %, their calculated rates too)
_NAMED = {VatRate.VAT20: ("nds20", 20), VatRate.VAT20_120: ("nds20", 20),
          VatRate.VAT10: ("nds10", 10), VatRate.VAT10_110: ("nds10", 10)}


def ticket(fr: Register, doc: Doc) -> dict[str, Any]:
    out = kit.header(code=doc.type, user=fr.user, user_inn=fr.user_inn,
                     reg_number=fr.reg_number, fn=fr.fn_number, number=doc.number,
                     sign=doc.fiscal_sign, at=doc.at, shift=doc.shift)
    if doc.type not in (3, 31):
        return out
    tags = {tag: c.untext(value) for tag, value in doc.tlv if tag in (1008, 1021)}
    items: list[dict[str, Any]] = []
    vat: dict[str, Decimal] = {}
    for it in doc.items:
        rate = vat_rate(int(it["tax_rate"]), fr.main_vat)
        items.append({"name": it["name"].removeprefix("//"), "price": int(it["price"]),
                      "quantity": float(Decimal(it["qty"])), "sum": int(it["total"]),
                      "nds": rate.code if rate else 0, "paymentType": it["1214"],
                      "productType": it["1212"], "itemsQuantityMeasure": 0})
        if rate in _NAMED:
            name, pct = _NAMED[rate]
            amount = Decimal(int(it["total"])) * pct / (100 + pct)
            vat[name] = vat.get(name, Decimal(0)) + amount
    out.update(kit.receipt_fields(
        operation=doc.operation or 1, taxation=doc.taxation, total=doc.total or 0,
        receipt_number=doc.receipt_number, sums=doc.sums, items=items,
        vat={n: int(v.to_integral_value()) for n, v in vat.items()},
        operator=tags.get(1021), buyer=tags.get(1008)))
    return out


def sums(payments: list[int], change: int) -> dict[int, int]:
    """FF45's 16 slots as FFD sums by tag, cash net of the change."""
    out: dict[int, int] = {}
    for slot, amount in enumerate(payments):
        out[SLOT_TAGS[slot]] = out.get(SLOT_TAGS[slot], 0) + amount
    out[1031] = out.get(1031, 0) - change
    return out


class Outbox:
    """The FN's unsent documents (``Register.unsent``) for ``kassa.testing.ofd.OfdLink``."""

    def __init__(self, fr: Register) -> None:
        self.fr = fr

    def pending(self) -> tuple[int, Mapping[str, Any]] | None:
        if self.fr.ofd_failing:  # the register's own network is down
            return None
        unsent = self.fr.unsent()
        return (unsent[0].number, ticket(self.fr, unsent[0])) if unsent else None

    def confirmed(self, number: int) -> None:
        unsent = self.fr.unsent()
        if unsent and unsent[0].number == number:
            unsent[0].ofd_confirmed = True
            self.fr.ofd_backlog -= 1
        self.fr.ofd_error = ""

    def failed(self, why: str) -> None:
        self.fr.ofd_error = why
