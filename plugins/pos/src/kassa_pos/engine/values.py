"""The engine's boundary types: a check's lines as the till sells them (``SaleLine``), the
check ready to pay (``SaleDraft``) and one way of paying it (``Tender``). Pure attrs values,
no I/O; money is int kopecks, quantities ``Decimal`` with three places (``kassa.model.money``).

Built on the core's model (``kassa.model``): VAT is ``VatRate``, units are ``Measure`` (2108),
the guest's identifier is ``Identifier`` and the loyalty answer is ``Quote``; the fiscal
``Receipt`` is built from a draft by ``kassa_pos.engine.pay``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from attrs import field, frozen
from kassa.model import Identifier, Measure, PaymentObject, Quote, VatRate
from kassa.model.money import qty


class LineFlag(StrEnum):
    """What the till must know about a line beyond its price."""

    WEIGHED = "weighed"  # quantity from scales or a weighed-goods barcode
    MARKED = "marked"  # a marking code (2000) is required to sell it
    FRAGILE = "fragile"
    EXCISE = "excise"  # подакцизный (1212 = 2 / 31)
    SERVICE = "service"  # a service, not goods (1212 = 4)
    PRICE_OVERRIDDEN = "price_overridden"  # a cashier changed the price (audited)
    NO_DISCOUNT = "no_discount"


class TenderKind(StrEnum):
    CASH = "cash"
    CARD = "card"
    BONUS = "bonus"
    DEPOSIT = "deposit"
    INTERNAL = "internal"  # a custom kind from config: ``internal:<name>``


def _flags(flags: Iterable[LineFlag | str]) -> frozenset[LineFlag]:
    return frozenset(LineFlag(f) for f in flags)


def _sale_lines(lines: Iterable[SaleLine]) -> tuple[SaleLine, ...]:
    return tuple(lines)


@frozen(kw_only=True)
class SaleLine:
    """One line of a check. ``price`` is per unit before discounts; ``amount`` is what the
    line costs after every discount (``discount`` kopecks of them); ``amount + discount`` is
    ``price x quantity`` rounded half up. ``marking_code`` is the scanned code (GS kept)."""

    item_code: str
    name: str
    barcode: str | None = None
    quantity: Decimal = field(converter=qty)
    unit: Measure = Measure.PIECE
    price: int
    amount: int
    discount: int = 0
    vat: VatRate
    department: int | None = None  # the register's section (1-based), None: its default
    marking_code: str | None = None
    flags: frozenset[LineFlag] = field(default=frozenset(), converter=_flags)

    def __attrs_post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"line {self.item_code}: quantity must be positive")
        if self.price < 0 or self.amount < 0 or self.discount < 0:
            raise ValueError(f"line {self.item_code}: money must not be negative")

    @property
    def payment_object(self) -> PaymentObject:
        """1212 for the receipt: marked goods are 33 (31 if excise), services 4."""
        if LineFlag.SERVICE in self.flags:
            return PaymentObject.SERVICE
        excise = LineFlag.EXCISE in self.flags
        if self.marking_code is not None or LineFlag.MARKED in self.flags:
            return PaymentObject.EXCISE_WITH_MARKING if excise \
                else PaymentObject.COMMODITY_WITH_MARKING
        return PaymentObject.EXCISE if excise else PaymentObject.COMMODITY


@frozen(kw_only=True)
class SaleDraft:
    """A check closed for payment. ``check_id`` is unique per sale and names every journaled
    step of paying it (the settle key derives from it); ``till`` is the station name.
    ``guest`` is the loyalty guest's id, ``identifier`` what the cashier scanned for it."""

    check_id: str
    site: str
    till: str
    cashier: str  # the cashier's name as the receipt prints it (1021)
    lines: tuple[SaleLine, ...] = field(converter=_sale_lines)
    total: int
    cashier_inn: str | None = None  # 1203
    guest: str | None = None
    identifier: Identifier | None = None
    quote: Quote | None = None
    customer_contact: str | None = None  # 1008: e-mail or +7 phone for the e-receipt
    number: int | None = None  # the till's own check number, shown and searched by
    guest_offline: bool = False  # the guest from the store's client register: no bonus

    def __attrs_post_init__(self) -> None:
        if self.total != sum(ln.amount for ln in self.lines):
            raise ValueError(f"check {self.check_id}: total {self.total} is not the sum of"
                             f" its lines {sum(ln.amount for ln in self.lines)}")


@frozen(kw_only=True)
class Tender:
    """One way the guest pays. ``kind`` is ``cash``, ``card``, ``bonus``, ``deposit`` or
    ``internal:<name>`` (a custom kind from the ``[pos]`` config). ``terminal`` names the
    card terminal (a till may have two); ``account`` the loyalty / deposit account.
    A cash tender's ``amount`` is what the guest handed over (change is given from it)."""

    kind: str
    amount: int
    terminal: str | None = None
    account: str | None = None

    def __attrs_post_init__(self) -> None:
        base, _, name = self.kind.partition(":")
        if base not in set(TenderKind) or (base == TenderKind.INTERNAL) != bool(name):
            raise ValueError(f"unknown tender kind {self.kind!r}")
        if self.amount <= 0:
            raise ValueError("a tender's amount must be positive")
        if base in (TenderKind.BONUS, TenderKind.DEPOSIT) and not self.account:
            raise ValueError(f"a {base} tender needs the account")

    @property
    def base(self) -> TenderKind:
        return TenderKind(self.kind.partition(":")[0])

    @property
    def internal_name(self) -> str | None:
        return self.kind.partition(":")[2] or None


__all__ = ["LineFlag", "SaleDraft", "SaleLine", "Tender", "TenderKind"]
