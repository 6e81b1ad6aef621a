"""Who may do what at the till: roles, rights, a manager's confirmation.

Three roles (cashier, senior cashier, manager), each with a set of rights; the table is
``DEFAULT_RIGHTS`` unless ``[pos.rights]`` replaces a role's set. An action the actor's role
lacks is still allowed when a manager confirms it: the manager's identity (found by
``Rights.identify`` from the card they swipe or the PIN they type) is an explicit argument,
never a session state, so every confirmed action names who confirmed it. With
``void_needs_manager`` a line or check void always needs someone holding ``confirm`` (the
actor, or the manager confirming). A denied action raises ``AccessDenied``: one sentence
for the cashier, in the till's language.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

from attrs import frozen
from kassa.errors import UserError


class Role(StrEnum):
    CASHIER = "cashier"
    SENIOR_CASHIER = "senior_cashier"
    MANAGER = "manager"


class Right(StrEnum):
    SELL = "sell"  # open a check, add lines, raise a quantity
    DEFER = "defer"  # park a check and resume a parked one
    VOID_LINE = "void_line"  # take back a line or lower its quantity before payment
    VOID_CHECK = "void_check"  # annul a whole unpaid check
    OVERRIDE_PRICE = "override_price"
    MANUAL_DISCOUNT = "manual_discount"  # up to the role's manual_discount_limit
    RETURN = "return"
    OPEN_DRAWER = "open_drawer"  # without a sale
    CASH_IN = "cash_in"
    CASH_OUT = "cash_out"
    OPEN_SHIFT = "open_shift"
    CLOSE_SHIFT = "close_shift"
    X_REPORT = "x_report"
    ISSUE_CARD = "issue_card"  # a client card
    BLOCK_CARD = "block_card"
    CONFIRM = "confirm"  # confirm another person's action with one's card or PIN


_CASHIER = frozenset({Right.SELL, Right.DEFER, Right.OPEN_SHIFT, Right.CLOSE_SHIFT,
                      Right.CASH_IN, Right.X_REPORT, Right.ISSUE_CARD})
_SENIOR = _CASHIER | {Right.VOID_LINE, Right.MANUAL_DISCOUNT, Right.RETURN, Right.CASH_OUT,
                      Right.OPEN_DRAWER}
DEFAULT_RIGHTS: Mapping[Role, frozenset[Right]] = {
    Role.CASHIER: _CASHIER,
    Role.SENIOR_CASHIER: _SENIOR,
    Role.MANAGER: frozenset(Right),
}
# the largest manual discount, percent of what it applies to; a role not listed: no limit
DEFAULT_DISCOUNT_LIMITS: Mapping[Role, Decimal] = {Role.SENIOR_CASHIER: Decimal(10)}
# rights void_needs_manager puts behind a confirmation even for a role that holds them
VOIDS = frozenset({Right.VOID_LINE, Right.VOID_CHECK})

_ROLE_TEXT = {
    "ru": {Role.CASHIER: "Кассир", Role.SENIOR_CASHIER: "Старший кассир",
           Role.MANAGER: "Менеджер"},
    "en": {Role.CASHIER: "A cashier", Role.SENIOR_CASHIER: "A senior cashier",
           Role.MANAGER: "A manager"},
}
_RIGHT_TEXT = {
    "ru": {Right.SELL: "продавать", Right.DEFER: "откладывать чеки",
           Right.VOID_LINE: "сторнировать позиции", Right.VOID_CHECK: "аннулировать чек",
           Right.OVERRIDE_PRICE: "менять цену", Right.MANUAL_DISCOUNT: "давать скидку",
           Right.RETURN: "оформлять возврат",
           Right.OPEN_DRAWER: "открывать денежный ящик без продажи",
           Right.CASH_IN: "вносить наличные", Right.CASH_OUT: "изымать наличные",
           Right.OPEN_SHIFT: "открывать смену", Right.CLOSE_SHIFT: "закрывать смену",
           Right.X_REPORT: "снимать X-отчёт", Right.ISSUE_CARD: "выдавать карты клиентов",
           Right.BLOCK_CARD: "блокировать карты клиентов",
           Right.CONFIRM: "подтверждать операции"},
    "en": {Right.SELL: "sell", Right.DEFER: "defer checks", Right.VOID_LINE: "void lines",
           Right.VOID_CHECK: "void a check", Right.OVERRIDE_PRICE: "change a price",
           Right.MANUAL_DISCOUNT: "give a discount", Right.RETURN: "make a return",
           Right.OPEN_DRAWER: "open the cash drawer without a sale",
           Right.CASH_IN: "put cash in", Right.CASH_OUT: "take cash out",
           Right.OPEN_SHIFT: "open a shift", Right.CLOSE_SHIFT: "close a shift",
           Right.X_REPORT: "print an X report", Right.ISSUE_CARD: "issue client cards",
           Right.BLOCK_CARD: "block client cards", Right.CONFIRM: "confirm actions"},
}


@frozen
class Person:
    """Someone at the till, as events and receipts name them."""

    code: str
    name: str
    role: Role
    inn: str | None = None


class AccessDenied(UserError):
    """The actor may not do it and no one able to confirm it did. ``str()`` is the
    cashier's sentence; ``right``, ``actor``, ``manager`` say what was tried by whom."""

    def __init__(self, message: str, *, right: Right, actor: Person,
                 manager: Person | None = None, limit: Decimal | None = None) -> None:
        super().__init__(message)
        self.right = right
        self.actor = actor
        self.manager = manager
        self.limit = limit


class Rights:
    """The rights table and the staff: who holds what, and who a card or PIN names."""

    def __init__(self, table: Mapping[Role, Iterable[Right]] | None = None, *,
                 staff: Iterable[tuple[Person, str, str]] = (),
                 void_needs_manager: bool = True,
                 discount_limits: Mapping[Role, Decimal] | None = None,
                 locale: str = "ru") -> None:
        """``staff``: (person, card, PIN) with "" for none."""
        self.table = {role: frozenset(DEFAULT_RIGHTS[role]) for role in Role}
        for role, rights in (table or {}).items():
            self.table[Role(role)] = frozenset(Right(r) for r in rights)
        self.void_needs_manager = void_needs_manager
        self.discount_limits = dict(DEFAULT_DISCOUNT_LIMITS if discount_limits is None
                                    else discount_limits)
        self.locale = locale if locale in _ROLE_TEXT else "ru"
        self._people: dict[str, Person] = {}
        self._cards: dict[str, Person] = {}
        self._pins: list[tuple[bytes, Person]] = []
        for person, card, pin in staff:
            self._people[person.code] = person
            if card:
                self._cards[card] = person
            if pin:
                self._pins.append((pin.encode(), person))

    @classmethod
    def from_settings(cls, settings: object, *, locale: str = "ru") -> Rights:
        """From the ``[pos]`` section (``kassa_pos.settings.PosSettings``)."""
        from kassa_pos.settings import PosSettings

        s = settings if isinstance(settings, PosSettings) else PosSettings()
        limits = {**DEFAULT_DISCOUNT_LIMITS,
                  **{Role(k): v for k, v in s.manual_discount_limit.items()}}
        staff = [(Person(p.code, p.name, Role(p.role), p.inn or None), p.card, p.pin.reveal())
                 for p in s.staff]
        return cls({Role(k): [Right(r) for r in v] for k, v in s.rights.items()}, staff=staff,
                   void_needs_manager=s.void_needs_manager, discount_limits=limits,
                   locale=locale)

    def allows(self, role: Role, right: Right) -> bool:
        return right in self.table[role]

    def person(self, code: str) -> Person | None:
        return self._people.get(code)

    def identify(self, secret: str) -> Person | None:
        """The person a swiped staff card or a typed PIN names, or None. PINs are compared
        in constant time (a till's timing must not narrow a PIN down)."""
        if not secret:
            return None
        if secret in self._cards:
            return self._cards[secret]
        typed = secret.encode()
        found = None
        for pin, person in self._pins:
            if hmac.compare_digest(pin, typed):
                found = person
        return found

    def needs_confirmation(self, right: Right) -> bool:
        return self.void_needs_manager and right in VOIDS

    def authorize(self, actor: Person, right: Right, manager: Person | None = None
                  ) -> Person | None:
        """Allow ``actor`` to do ``right``: returns the manager whose confirmation it took
        (None when the actor's own rights suffice), or raises ``AccessDenied``."""
        own = self.allows(actor.role, right)
        if self.needs_confirmation(right):
            own = own and self.allows(actor.role, Right.CONFIRM)
        if own:
            return None
        if manager is not None and manager.code != actor.code \
                and self.allows(manager.role, Right.CONFIRM) \
                and self.allows(manager.role, right):
            return manager
        raise AccessDenied(self._sentence(actor, right, manager), right=right, actor=actor,
                           manager=manager)

    def discount_limit(self, role: Role) -> Decimal | None:
        """The largest manual discount ``role`` may give, percent (None: any)."""
        if role not in self.discount_limits:
            return None
        return self.discount_limits[role]

    def authorize_discount(self, actor: Person, percent: Decimal,
                           manager: Person | None = None) -> Person | None:
        """A manual discount of ``percent``: the right, then the limit of the actor's role,
        or of the confirming manager's when the actor's is too small."""
        confirmed = self.authorize(actor, Right.MANUAL_DISCOUNT, manager)
        limit = self.discount_limit(actor.role) if confirmed is None else \
            self.discount_limit(confirmed.role)
        if limit is None or percent <= limit:
            return confirmed
        if confirmed is None and manager is not None and manager.code != actor.code \
                and self.allows(manager.role, Right.CONFIRM) \
                and self.allows(manager.role, Right.MANUAL_DISCOUNT):
            mlimit = self.discount_limit(manager.role)
            if mlimit is None or percent <= mlimit:
                return manager
            limit = mlimit
        if self.locale == "en":
            text = f"A discount above {limit}% needs a manager's confirmation."
        else:
            text = f"Скидка больше {limit}% требует подтверждения менеджера."
        raise AccessDenied(text, right=Right.MANUAL_DISCOUNT, actor=actor, manager=manager,
                           limit=limit)

    def _sentence(self, actor: Person, right: Right, manager: Person | None) -> str:
        loc = self.locale
        who = _ROLE_TEXT[loc][actor.role]
        what = _RIGHT_TEXT[loc][right]
        if manager is not None and manager.code != actor.code:
            if loc == "en":
                return f"{manager.name} may not confirm this: it takes the right to {what}."
            return f"{manager.name} не может подтвердить это: нужно право {what}."
        if self.allows(actor.role, right):  # held, but void_needs_manager asks for more
            if loc == "en":
                return f"To {what}, a manager must confirm with a card or PIN."
            return f"Чтобы {what}, нужно подтверждение менеджера картой или PIN-кодом."
        if loc == "en":
            return f"{who} may not {what}: a manager must confirm with a card or PIN."
        return f"{who} не может {what}: нужно подтверждение менеджера картой или PIN-кодом."
