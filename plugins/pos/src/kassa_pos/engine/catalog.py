"""The till's catalog: items, their barcodes and prices, looked up without the database.

``Item`` and ``Lookup`` are the boundary types the rest of the engine codes against; the
``Catalog`` service (an in-memory index over the store's ``pos_*`` tables) follows them.
Money is int kopecks, quantities ``Decimal`` as in ``kassa.model.fiscal``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import IntFlag

from attrs import field, frozen
from kassa.model.ffd import Measure, VatRate


class ItemFlag(IntFlag):
    """What the till must do about an item; stored as an int in ``pos_item.flags``."""

    NONE = 0
    FRAGILE = 1  # the cashier is reminded to pack it apart
    MARKING = 2  # a marking code (Chestny ZNAK, tag 2000) must be scanned for each unit
    WEIGHED = 4  # sold by weight: quantity from the scales or a weighed-goods barcode
    AGE_RESTRICTED = 8  # the cashier confirms the buyer's age (alcohol, tobacco)


def _barcodes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen(kw_only=True)
class Item:
    """One catalog item. ``code`` is the shop's article (unique); ``plu`` the scales' number
    for weighed goods (unique when set); ``barcodes`` every code that sells it."""

    code: str
    name: str
    vat: VatRate
    unit: Measure = Measure.PIECE
    plu: int | None = None
    department: int = 1  # the register's section (1..16 on ATOL / Shtrih-M)
    group: str = ""
    flags: ItemFlag = ItemFlag.NONE
    barcodes: tuple[str, ...] = field(default=(), converter=_barcodes)

    @property
    def fragile(self) -> bool:
        return ItemFlag.FRAGILE in self.flags

    @property
    def marking_required(self) -> bool:
        return ItemFlag.MARKING in self.flags

    @property
    def weighed(self) -> bool:
        return ItemFlag.WEIGHED in self.flags

    @property
    def age_restricted(self) -> bool:
        return ItemFlag.AGE_RESTRICTED in self.flags


@frozen(kw_only=True)
class Lookup:
    """What a scan found. ``price``: kopecks per unit valid now (``None`` when no price list
    prices the item: the till asks for one). ``quantity``: from a weighed-goods code (kg,
    three places), else ``None``. ``amount``: the line's kopecks from a priced-goods code,
    else ``None``. ``barcode``: as scanned (normalised to 13 digits for UPC-A)."""

    item: Item
    price: int | None
    quantity: Decimal | None = None
    amount: int | None = None
    barcode: str = ""
