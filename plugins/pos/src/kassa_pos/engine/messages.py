"""The till's message system: rules that fire on till events and give the cashier a prompt
and/or put a text on the receipt ("Предложите пакет", a birthday greeting, a draw code).

Rules come from ``[[pos.messages]]`` (the raw list in ``PosSettings.messages``), structured
here with cattrs into ``Rule``; a broken rule is one ``ConfigError`` naming the rule and the
key. A ``when`` key that is not a built-in condition is looked up among the plugins'
``TillCondition`` components (``register_till_conditions``, through the core), so a plugin
adds conditions without the till importing it.

The till (the ``Till`` facade) builds a ``TillEvent`` for what just happened and awaits
``MessageSystem.evaluate(event)``; the answer is what fired, in rule order.
"""

from __future__ import annotations

import secrets
import string
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import field, frozen
from kassa.errors import ConfigError
from kassa.hookspecs.retail import TillCondition
from kassa.model import Guest
from kassa.model.money import format_money
from sqlalchemy import Column, DateTime, MetaData, String, Table, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError

from kassa_pos.engine.catalog import Item, ItemFlag
from kassa_pos.engine.values import LineFlag, SaleLine


class TillEventKind(StrEnum):
    """What a rule's ``on`` can name."""

    CHECK_OPENED = "check_opened"
    LINE_ADDED = "line_added"  # an item scanned or entered; ``TillEvent.line`` is it
    LINE_VOIDED = "line_voided"
    GUEST_IDENTIFIED = "guest_identified"  # a loyalty card scanned; ``guest`` is set
    SUBTOTAL = "subtotal"  # the cashier asks for the total, before payment
    RECEIPT = "receipt"  # the receipt is about to be printed: receipt texts go here
    CHECK_CLOSED = "check_closed"  # paid and fiscalised: "once" state is dropped
    CHECK_VOIDED = "check_voided"


# flag names a rule may test: the line's (values.LineFlag) and the catalog item's (ItemFlag)
FLAGS = frozenset({f.value for f in LineFlag}
                  | {(f.name or "").lower() for f in ItemFlag if f.name and f != ItemFlag.NONE})


def _strs(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@frozen(kw_only=True)
class TillLine:
    """A check line as the rules see it. ``flags``: names from ``FLAGS``."""

    code: str
    name: str = ""
    group: str = ""
    flags: frozenset[str] = field(default=frozenset(), converter=_strs)
    quantity: Decimal = Decimal(1)
    amount: int = 0

    @classmethod
    def of(cls, line: SaleLine, item: Item | None = None) -> TillLine:
        """From the check's line and (when the till has it) its catalog item, whose group
        and flags the sale line does not carry."""
        flags = {f.value for f in line.flags}
        if item is not None:
            flags |= {(f.name or "").lower() for f in ItemFlag
                      if f.name and f != ItemFlag.NONE and f in item.flags}
        return cls(code=line.item_code, name=line.name, group=item.group if item else "",
                   flags=flags, quantity=line.quantity, amount=line.amount)


def _lines(lines: Iterable[TillLine]) -> tuple[TillLine, ...]:
    return tuple(lines)


@frozen(kw_only=True)
class TillEvent:
    """What happened at the till, with the check as it is now. ``at``: the till's local
    time (time-of-day and weekday conditions read it as is). ``line``: the line the event
    is about (the scanned one for ``line_added``), else None."""

    kind: TillEventKind
    check_id: str
    at: datetime
    lines: tuple[TillLine, ...] = field(default=(), converter=_lines)
    total: int = 0
    guest: Guest | None = None
    line: TillLine | None = None
    site: str = ""
    till: str = ""

    @classmethod
    def of(cls, kind: TillEventKind, check_id: str, lines: Sequence[SaleLine], *,
           at: datetime, guest: Guest | None = None, line: int | None = None,
           item: Callable[[str], Item | None] | None = None, site: str = "",
           till: str = "") -> TillEvent:
        """From the check's sale lines (``Check.lines`` / ``SaleDraft.lines``): ``line`` is
        the index of the line the event is about; ``item`` finds a code's catalog item
        (``Catalog.by_code``) for its group and flags. The total is the lines' amounts."""
        seen = tuple(TillLine.of(ln, item(ln.item_code) if item else None) for ln in lines)
        return cls(kind=kind, check_id=check_id, at=at, lines=seen,
                   total=sum(ln.amount for ln in lines), guest=guest,
                   line=seen[line] if line is not None else None, site=site, till=till)


@frozen
class Fired:
    """One rule that fired: what the cashier sees and what the receipt prints ("" if none)."""

    rule: str
    prompt: str = ""
    receipt: str = ""


# --- rule config ------------------------------------------------------------------------------
@frozen(kw_only=True)
class When:
    """The built-in conditions; every one given must hold. Item conditions (``items``,
    ``groups``, ``flags``) hold when one line satisfies all of them: the event's ``line`` if
    it has one, else any line of the check."""

    items: tuple[str, ...] = ()  # item codes
    groups: tuple[str, ...] = ()  # catalog groups
    flags: tuple[str, ...] = ()  # every one of them on the line
    lines_over: int | None = None  # more than N lines in the check
    total_from: int | None = None  # check total >= kopecks
    total_under: int | None = None  # check total < kopecks
    guest: str | None = None  # "any": a card was scanned; "none": no card
    guest_groups: tuple[str, ...] = ()  # the guest is in one of them
    birthday_within: int | None = None  # the guest's birthday is at most N days away
    time_from: time | None = None  # local time of day, "HH:MM"; past midnight if > time_to
    time_to: time | None = None
    weekdays: tuple[int, ...] = ()  # ISO: 1 = Monday ... 7 = Sunday
    date_from: date | None = None  # the rule's validity (a promotion's dates), inclusive
    date_to: date | None = None


@frozen(kw_only=True)
class Rule:
    """One ``[[pos.messages]]`` table. ``prompt``/``receipt`` are templates with the fields
    of ``PLACEHOLDERS``; ``once``: at most once per check (the bag offer, not every line)."""

    name: str
    on: tuple[TillEventKind, ...]
    when: When = When()
    prompt: str = ""
    receipt: str = ""
    once: bool = False
    extra: tuple[tuple[TillCondition, Any], ...] = ()  # plugins' conditions, parsed


# guest placeholders make a rule fire only when a guest is known
PLACEHOLDERS = {"name": "guest", "item": "", "total": "", "lines": "", "draw_code": ""}


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a text template; ValueError when it does not parse (the
    loader refuses such a rule, so a loaded rule's templates always parse)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def _line_matches(w: When, line: TillLine) -> bool:
    return ((not w.items or line.code in w.items)
            and (not w.groups or line.group in w.groups)
            and all(f in line.flags for f in w.flags))


def _days_to_birthday(born: date, today: date) -> int:
    """Days between today and the nearest birthday (this, last or next year); a 29 February
    birthday is kept on the 28th in other years."""
    best = 366
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        best = min(best, abs((day - today).days))
    return best


def matches(rule: Rule, event: TillEvent) -> bool:
    """Do the rule's conditions hold for the event (its ``on`` aside)?"""
    w, guest = rule.when, event.guest
    if w.items or w.groups or w.flags:
        targets = (event.line,) if event.line is not None else event.lines
        if not any(_line_matches(w, ln) for ln in targets):
            return False
    if w.lines_over is not None and len(event.lines) <= w.lines_over:
        return False
    if w.total_from is not None and event.total < w.total_from:
        return False
    if w.total_under is not None and event.total >= w.total_under:
        return False
    if (w.guest == "any" and guest is None) or (w.guest == "none" and guest is not None):
        return False
    if w.guest_groups and (guest is None or not set(w.guest_groups) & set(guest.groups)):
        return False
    if w.birthday_within is not None and (
            guest is None or guest.birthday is None
            or _days_to_birthday(guest.birthday, event.at.date()) > w.birthday_within):
        return False
    now = event.at.time().replace(tzinfo=None)
    if w.time_from is not None or w.time_to is not None:
        start, end = w.time_from or time.min, w.time_to or time.max
        inside = start <= now < end if start <= end else (now >= start or now < end)
        if not inside:
            return False
    if w.weekdays and event.at.isoweekday() not in w.weekdays:
        return False
    today = event.at.date()
    if (w.date_from is not None and today < w.date_from) or \
            (w.date_to is not None and today > w.date_to):
        return False
    needs_guest = any(PLACEHOLDERS[p] == "guest" for t in (rule.prompt, rule.receipt)
                      for p in placeholders(t))
    if needs_guest and guest is None:
        return False
    return all(cond.matches(event, value) for cond, value in rule.extra)


# --- draw codes ---------------------------------------------------------------------------------
metadata = MetaData()
# one row per code ever issued: the primary key makes a code unique for good, the
# (rule, check) pair makes a reprint of a receipt show the same code
draw_code = Table(
    "pos_draw_code", metadata,
    Column("code", String(16), primary_key=True),
    Column("rule", String(100), nullable=False),
    Column("check_id", String(100), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("rule", "check_id", name="uq_pos_draw_code_check"),
)
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a prize desk


def random_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


Transaction = Callable[[], AbstractAsyncContextManager[Any]]


class DrawCodes:
    """Unique draw codes, persisted in ``pos_draw_code``. ``transaction()`` gives an async
    SQLAlchemy connection in a write transaction (the hub's ``hub.transaction``)."""

    def __init__(self, transaction: Transaction, generate: Callable[[], str] = random_code,
                 attempts: int = 20) -> None:
        self.transaction = transaction
        self.generate = generate
        self.attempts = attempts

    async def issue(self, rule: str, check_id: str, at: datetime) -> str:
        """The code of (rule, check): the one issued before, or a new one never used."""
        for _ in range(self.attempts):
            try:
                async with self.transaction() as conn:
                    found = await self._of(conn, rule, check_id)
                    if found is not None:
                        return found
                    code = self.generate()
                    await conn.execute(draw_code.insert().values(
                        code=code, rule=rule, check_id=check_id, issued_at=at))
                    return code
            except IntegrityError:
                continue  # a code drawn before (or a twin issue for this check): look again
        raise RuntimeError(f"no free draw code after {self.attempts} attempts")

    @staticmethod
    async def _of(conn: Any, rule: str, check_id: str) -> str | None:
        row = (await conn.execute(select(draw_code.c.code).where(
            draw_code.c.rule == rule, draw_code.c.check_id == check_id))).first()
        return None if row is None else str(row.code)


# --- the system ---------------------------------------------------------------------------------
_FORGET = (TillEventKind.CHECK_CLOSED, TillEventKind.CHECK_VOIDED)


class MessageSystem:
    """Evaluates the rules on till events. Which ``once`` rules fired on a check is the
    check's own ``prompted`` set when the till passes it (saved with the check: a restart
    or a resume on another till does not offer the bag again), else kept here in memory."""

    def __init__(self, rules: Sequence[Rule], draws: DrawCodes | None = None, *,
                 locale: str = "ru", open_checks: int = 1000) -> None:
        self.rules = tuple(rules)
        self.draws = draws
        self.locale = locale
        self.open_checks = open_checks
        self._fired: OrderedDict[str, set[str]] = OrderedDict()
        if draws is None:
            for rule in self.rules:
                if "draw_code" in placeholders(rule.receipt):
                    raise ConfigError(f"rule {rule.name!r} prints a draw code but the till has"
                                      " no store for them", path="pos.messages")

    @classmethod
    def of(cls, hub: Any, *, locale: str | None = None,
           raw: Sequence[Any] | None = None) -> MessageSystem:
        """The hub's: rules from ``[pos] messages`` (``raw``: these instead, the store's
        rules package's), the conditions of the hub's plugins, draw codes in the hub's
        store (migration ``pos_messages_0001``)."""
        from kassa.plugins import get_plugins

        plugins = getattr(hub, "plugins", None) or get_plugins()
        section = hub.section("pos")
        hub_settings = getattr(hub.settings, "hub", None)
        locale = locale or getattr(hub_settings, "locale", None) or "ru"
        if raw is None:
            raw = getattr(section, "messages", None) or []
        return cls.from_config(list(raw), plugins.till_conditions(),
                               DrawCodes(hub.transaction), locale=locale)

    def replace(self, other: MessageSystem) -> None:
        """Work by ``other``'s rules from now on (a new rules package); what fired stays."""
        self.rules = other.rules

    @classmethod
    def from_config(cls, raw: Any, conditions: Sequence[TillCondition] = (),
                    draws: DrawCodes | None = None, *, locale: str = "ru") -> MessageSystem:
        from kassa_pos.engine.message_rules import load_rules

        return cls(load_rules(raw, conditions, locale=locale), draws, locale=locale)

    async def evaluate(self, event: TillEvent, fired: set[str] | None = None
                       ) -> tuple[Fired, ...]:
        """The rules that fire on ``event``. ``fired``: the check's own record of the
        ``once`` rules (``Check.prompted``, saved with the check), updated here; without it
        this system remembers them in memory."""
        if fired is None:
            fired = self._fired.setdefault(event.check_id, set())
            self._fired.move_to_end(event.check_id)
        out = []
        for rule in self.rules:
            if event.kind not in rule.on or (rule.once and rule.name in fired):
                continue
            if not matches(rule, event):
                continue
            values = await self._values(rule, event)
            out.append(Fired(rule.name, rule.prompt.format(**values).strip(),
                             rule.receipt.format(**values).strip()))
            fired.add(rule.name)
        if event.kind in _FORGET:
            self._fired.pop(event.check_id, None)
        while len(self._fired) > self.open_checks:  # checks never closed (a crash) age out
            self._fired.popitem(last=False)
        return tuple(out)

    async def _values(self, rule: Rule, event: TillEvent) -> dict[str, str]:
        line = event.line
        values = {"name": event.guest.name if event.guest else "",
                  "item": line.name if line else "",
                  "total": format_money(event.total, self.locale),
                  "lines": str(len(event.lines)), "draw_code": ""}
        if self.draws is not None and "draw_code" in placeholders(rule.receipt):
            values["draw_code"] = await self.draws.issue(rule.name, event.check_id, event.at)
        return values

