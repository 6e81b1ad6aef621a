"""Guests of a loyalty programme, their identifiers and accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from attrs import field, frozen


class IdentifierKind(StrEnum):
    PHONE = "phone"
    CARD = "card"  # plastic card number
    QR = "qr"
    BARCODE = "barcode"
    VIRTUAL = "virtual"


class AccountKind(StrEnum):
    BONUS = "bonus"  # points
    DEBIT = "debit"  # deposit: the guest's money
    CREDIT = "credit"  # with a limit


@frozen
class Identifier:
    kind: IdentifierKind
    value: str
    status: str = "active"  # active | blocked | replaced | expired
    reason: str | None = None


@frozen
class Account:
    id: str
    kind: AccountKind
    balance: int  # kopecks (points are kept in hundredths too)
    available: int  # balance less holds
    limit: int = 0  # credit accounts only


# typed converters (attrs' bare ``tuple`` leaves mypy an unsolved type variable at call sites)
def _groups(groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(groups)


def _identifiers(identifiers: Iterable[Identifier]) -> tuple[Identifier, ...]:
    return tuple(identifiers)


def _accounts(accounts: Iterable[Account]) -> tuple[Account, ...]:
    return tuple(accounts)


@frozen
class Guest:
    id: str
    name: str = ""
    phone: str | None = None
    email: str | None = None
    birthday: date | None = None
    groups: tuple[str, ...] = field(default=(), converter=_groups)
    consent: bool = False
    level: str | None = None
    identifiers: tuple[Identifier, ...] = field(default=(), converter=_identifiers)
    accounts: tuple[Account, ...] = field(default=(), converter=_accounts)
    created_at: datetime | None = None
