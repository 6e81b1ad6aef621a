"""REST JSON shapes (msgspec, so Litestar validates them and documents them in OpenAPI) and the
mapping between them and the core model. Bad input is a 400 before any handler runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from kassa.model import Guest, Order, OrderLine, Quote

from kassa_bonus.outcome import Outcome

Amount = Annotated[int, msgspec.Meta(ge=1, le=10**12)]
Text = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00]*$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]
Kind = Annotated[str, msgspec.Meta(pattern=r"^(phone|card|qr|barcode|virtual)$")]


class GuestIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text = ""
    phone: Short | None = None
    email: Text | None = None
    birthday: dt.date | None = None
    groups: Annotated[list[Short], msgspec.Meta(max_length=20)] = []
    consent: bool = False
    card: Short | None = None
    credit_limit: Annotated[int, msgspec.Meta(ge=0, le=10**12)] = 0


class IdentifierIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind
    value: Short
    expires_at: dt.datetime | None = None


class BlockIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind
    value: Short
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
    new_kind: Kind | None = None  # with new_value: replace instead of block
    new_value: Short | None = None


class AmountIn(msgspec.Struct, forbid_unknown_fields=True):
    account: Short
    amount: Amount


class CaptureIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount | None = None


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Short
    amount: Annotated[int, msgspec.Meta(ge=0, le=10**12)]
    name: Text = ""
    quantity: Annotated[float, msgspec.Meta(gt=0, le=10**6)] = 1
    category: Short | None = None


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    guest_id: Short
    number: Short
    lines: Annotated[list[LineIn], msgspec.Meta(max_length=500)]
    site: Text = ""
    spend: Annotated[int, msgspec.Meta(ge=0, le=10**12)] = 0


class ErrorBody(msgspec.Struct):
    code: str
    message: str


class ErrorOut(msgspec.Struct):
    error: ErrorBody


def order_of(body: OrderIn) -> Order:
    lines = tuple(OrderLine(code=ln.code, name=ln.name, quantity=str(round(ln.quantity, 3)),
                            price=ln.amount, amount=ln.amount, category=ln.category)
                  for ln in body.lines)
    return Order(site=body.site, number=body.number, lines=lines,
                 total=sum(ln.amount for ln in lines))


def guest_out(g: Guest) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "phone": g.phone, "email": g.email,
            "birthday": g.birthday.isoformat() if g.birthday else None,
            "groups": list(g.groups), "consent": g.consent, "level": g.level,
            "identifiers": [{"kind": str(i.kind), "value": i.value, "status": i.status,
                             "reason": i.reason} for i in g.identifiers],
            "accounts": [account_out(a.id, str(a.kind), a.balance, a.available, a.limit)
                         for a in g.accounts]}


def account_out(id_: str, kind: str, balance: int, available: int, limit: int) -> dict[str, Any]:
    return {"id": id_, "kind": kind, "balance": balance, "available": available,
            "limit": limit}


def outcome_out(o: Outcome) -> dict[str, Any]:
    return {"operation": o.operation, "kind": o.kind, "status": o.status, "account": o.account,
            "amount": o.amount, "guest_id": o.guest, "hold": o.hold, "balance": o.balance,
            "postings": list(o.postings), "detail": o.detail}


def quote_out(q: Quote) -> dict[str, Any]:
    return {"guest_id": q.guest_id, "discount": q.discount, "bonus_earn": q.bonus_earn,
            "bonus_spend_max": q.bonus_spend_max, "notes": list(q.notes),
            "lines": [{"code": ln.code, "discount": ln.discount, "bonus_earn": ln.bonus_earn,
                       "bonus_spend_max": ln.bonus_spend_max} for ln in q.lines]}
