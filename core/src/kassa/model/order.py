"""Orders and checks as a cash server sees them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from kassa.model.money import qty


@frozen
class OrderLine:
    code: str
    name: str
    quantity: Decimal = field(converter=qty)
    price: int  # kopecks per unit
    amount: int  # kopecks for the line
    category: str | None = None
    saved: bool = True
    void_reason: str | None = None


@frozen
class Discount:
    code: str
    name: str
    amount: int  # kopecks, positive = reduces the total
    loyalty: bool = False
    card: str | None = None


@frozen
class Payment:
    code: str
    name: str
    amount: int  # kopecks
    kind: str = "cash"  # cash | card | bonus | credit | other


@frozen
class Order:
    site: str
    number: str
    guid: str = ""
    table: str | None = None
    waiter: str | None = None
    guests: int = 0
    lines: tuple[OrderLine, ...] = ()
    discounts: tuple[Discount, ...] = ()
    payments: tuple[Payment, ...] = ()
    total: int = 0
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    category: str | None = None


@frozen
class Check:
    site: str
    number: str
    order: str
    lines: tuple[OrderLine, ...] = ()
    discounts: tuple[Discount, ...] = ()
    payments: tuple[Payment, ...] = ()
    total: int = 0
    guests: int = 0
    closed_at: datetime | None = None
    cashier: str | None = None
    deleted: bool = False
