"""The API's JSON shapes (msgspec: Litestar validates and documents them) and their mapping
to the core's receipt model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Money = Annotated[int, msgspec.Meta(ge=0, le=10**12, description="kopecks")]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")]
Text = Annotated[str, msgspec.Meta(max_length=256, pattern=r"^[^\x00-\x1f]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]*$")]
Qty = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^[0-9]{1,7}(\.[0-9]{1,6})?$",
                                  description="a decimal number as a string: 1, 0.5")]
Vat = Literal["vat22", "vat122", "vat20", "vat120", "vat10", "vat110", "vat7", "vat107",
              "vat5", "vat105", "vat0", "none"]
Kind = Literal["cash", "card", "prepaid"]
Object = Literal["commodity", "service", "job"]


class Client(msgspec.Struct, forbid_unknown_fields=True):
    name: Text = ""
    email: Text | None = None  # the client's general e-mail (a checked e-mail or absent)


class Address(msgspec.Struct, forbid_unknown_fields=True):
    text: Text = ""
    ofd_contact: Text | None = None  # "e-mail or phone for the OFD receipt"
    phones: Annotated[list[Text], msgspec.Meta(max_length=10)] = []


class Item(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    price: Money
    quantity: Qty
    vat: Vat
    total: Money | None = None  # default: price x quantity, rounded half up
    object: Object = "commodity"


class Payment(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind
    amount: Money


class PaymentTaken(msgspec.Struct, forbid_unknown_fields=True):
    order_id: Id
    site: Id  # the delivery office (its register fiscalises)
    driver: Id
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=100)]
    payment: Payment
    payment_id: Id = "1"  # several payments of one order are told apart by it
    client: Client = msgspec.field(default_factory=Client)
    address: Address = msgspec.field(default_factory=Address)
    paid_at: dt.datetime | None = None  # when the driver took the money; default: now


class RefundLine(msgspec.Struct, forbid_unknown_fields=True):
    line: Annotated[int, msgspec.Meta(ge=1, le=100, description="the sale's line, from 1")]
    quantity: Qty  # how much of it comes back


class RefundTaken(msgspec.Struct, forbid_unknown_fields=True):
    """A return of (part of) a paid order: ``POST /orders/{order_id}/refunds``. The money goes
    back to the kind the sale was paid with (cash back, or a card refund done at the bank)."""

    amount: Money  # what is handed back: the sum of the refunded lines
    payment_id: Id = "1"  # which payment of the order is refunded
    refund_id: Id = "1"  # several refunds of one payment are told apart by it
    lines: Annotated[list[RefundLine], msgspec.Meta(max_length=100)] = []  # []: all that is left
    driver: Id | None = None  # who hands the money back; default: the sale's driver
    reason: Text = ""
    refunded_at: dt.datetime | None = None  # default: when the hub accepted it


def quantity(item: Item) -> Decimal:
    return Decimal(item.quantity)


def body_of(p: PaymentTaken | RefundTaken) -> bytes:
    """A canonical body: the same payment always hashes the same, whatever key order."""
    return msgspec.json.encode(msgspec.to_builtins(p), order="sorted")
