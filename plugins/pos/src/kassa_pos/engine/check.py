"""Checks at the till: ``Check`` (the lines and their arithmetic, no I/O) and ``CheckBook``
(a store's checks: several open per till, deferred ones resumable on any till of the store,
each change authorised, saved in ``pos_check`` and audited).

Lines keep their number for the check's life; a voided line stays on the check (the audit
and the till show it struck through) and counts nowhere. Quantities are ``Decimal`` with
three places (``kassa.model.money.qty``): whole units for piece goods, grams for weighed
ones; a marked item is one unit a line (each unit has its own marking code). Money is int
kopecks; ``Check.pricing`` gives every line's discounts (``engine/discounts.py``), and
``to_draft`` the ``SaleDraft`` pos-pay settles.

Any change of the lines drops the loyalty quote: it was computed for other lines, so the
till asks the programme again (``CheckBook.requote``) before it shows the bonus figures.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import attrs
from attrs import define, field, frozen
from kassa import codec
from kassa.errors import RetryLater, UserError
from kassa.model import Guest, Identifier, Measure, Order, OrderLine, Quote, Severity, VatRate
from kassa.model.money import qty
from sqlalchemy import func, insert, select, update

from kassa_pos.engine import audit, discounts
from kassa_pos.engine.catalog import Item, Lookup
from kassa_pos.engine.check_tables import check as t
from kassa_pos.engine.discounts import Basis, Manual, Pricing
from kassa_pos.engine.rights import AccessDenied, Person, Right, Rights
from kassa_pos.engine.values import LineFlag, SaleDraft, SaleLine
from kassa_pos.kinds import Kind
from kassa_pos.settings import DiscountRule, PosSettings

MAX_QUANTITY = Decimal("99999.999")
STATE = "pos.checks"  # hub.state key of the store's CheckBook

# what the cashier reads when the check refuses something: {key: (ru, en)}
_TEXTS: dict[str, tuple[str, str]] = {
    "voided": ("Позиция {no} уже сторнирована.",
               "Line {no} is already voided."),
    "no_line": ("В чеке нет позиции {no}.",
                "The check has no line {no}."),
    "not_open": ("Чек уже не открыт: изменить его нельзя.",
                 "The check is no longer open: it cannot be changed."),
    "negative_price": ("Цена товара «{name}» не может быть отрицательной.",
                       "The price of “{name}” cannot be negative."),
    "marked_one": ("Маркированный товар «{name}» продаётся по одной единице: "
                   "отсканируйте каждую.",
                   "Marked goods “{name}” are sold one unit a line: scan each."),
    "marking_twice": ("Код маркировки товара «{name}» уже есть в чеке.",
                      "The marking code of “{name}” is already on the check."),
    "no_price": ("У товара «{name}» нет цены: введите её вручную.",
                 "“{name}” has no price: type it in."),
    "void_reason": ("Укажите причину сторно.",
                    "Give the reason for the void."),
    "no_discount": ("На товар «{name}» скидка не даётся.",
                    "“{name}” takes no discount."),
    "nothing_to_discount": ("В чеке нет товаров, на которые можно дать скидку.",
                            "Nothing on the check takes a discount."),
    "bad_discount": ("Скидка задаётся процентом от 0 до 100 или суммой больше нуля.",
                     "A discount is a percent above 0 up to 100, or an amount above zero."),
    "no_manual": ("В чеке нет ручной скидки {id}.",
                  "The check has no manual discount {id}."),
    "pay_open": ("Оплатить можно только открытый чек.",
                 "Only an open check can be paid."),
    "empty": ("В чеке нет товаров.",
              "The check is empty."),
    "scan_marking": ("Отсканируйте код маркировки товара «{name}».",
                     "Scan the marking code of “{name}”."),
    "not_number": ("Количество «{value}» для товара «{name}» — не число.",
                   "Quantity “{value}” for “{name}” is not a number."),
    "qty_range": ("Количество товара «{name}» должно быть больше нуля и не больше {max}.",
                  "The quantity of “{name}” must be above zero and at most {max}."),
    "qty_places": ("Количество товара «{name}» задаётся с точностью до тысячных.",
                   "The quantity of “{name}” has at most three decimal places."),
    "qty_whole": ("Товар «{name}» продаётся целыми единицами.",
                  "“{name}” is sold in whole units."),
    "stale": ("Чек изменён на другой кассе: откройте его заново.",
              "The check was changed on another till: open it again."),
    "not_here": ("Этот чек не открыт на этой кассе.",
                 "This check is not open on this till."),
    "nowhere": ("Чек не открыт ни на одной кассе магазина.",
                "The check is not open on any till of the store."),
    "unknown_till": ("Касса «{till}» не описана в [pos] tills.",
                     "Till “{till}” is not in [pos] tills."),
    "void_check_reason": ("Укажите причину аннулирования чека.",
                          "Give the reason for voiding the check."),
    "defer_empty": ("Пустой чек откладывать незачем.",
                    "An empty check need not be deferred."),
    "not_deferred": ("Этот чек уже не отложен: его возобновили на другой кассе или закрыли.",
                     "This check is no longer deferred: another till resumed it, or it was "
                     "closed."),
    "which_store": ("Укажите магазин в [pos] store: в kassa.toml не один сайт.",
                    "Name the shop in [pos] store: kassa.toml has more than one site."),
}


def _error(locale: str, key: str, **kw: Any) -> UserError:
    ru, en = _TEXTS[key]
    return UserError((en if locale == "en" else ru).format(**kw))


class CheckState(StrEnum):
    OPEN = "open"
    DEFERRED = "deferred"
    VOIDED = "voided"
    CLOSED = "closed"  # paid


def _flags(flags: Iterable[LineFlag | str]) -> frozenset[LineFlag]:
    return frozenset(LineFlag(f) for f in flags)


@frozen(kw_only=True)
class CheckLine:
    """One line. ``price`` is per unit now (after an override), ``catalog_price`` what the
    catalog asked; ``base`` is ``price x quantity`` rounded half up."""

    no: int
    item_code: str
    name: str
    price: int
    quantity: Decimal = field(converter=qty)
    vat: VatRate
    unit: Measure = Measure.PIECE
    catalog_price: int
    barcode: str | None = None
    department: int | None = None
    group: str = ""
    marking_code: str | None = None
    flags: frozenset[LineFlag] = field(default=frozenset(), converter=_flags)
    voided: bool = False
    void_reason: str | None = None

    @property
    def base(self) -> int:
        return discounts.line_base(self.price, self.quantity)

    @property
    def weighed(self) -> bool:
        return LineFlag.WEIGHED in self.flags

    def basis(self) -> Basis:
        return Basis(self.no, self.item_code, self.group, self.price, self.quantity,
                     discountable=LineFlag.NO_DISCOUNT not in self.flags,
                     piece=not self.weighed)


def _local_now() -> datetime:
    return datetime.now(ZoneInfo("Europe/Moscow"))


@frozen(kw_only=True)
class Body:
    """What ``pos_check.body`` keeps of a check (JSON through ``kassa.codec``)."""

    cashier: Person
    lines: list[CheckLine]
    manual: list[Manual]
    guest: Guest | None = None
    identifier: Identifier | None = None
    quote: Quote | None = None
    seq: int = 0
    next_manual: int = 1


@define(kw_only=True, eq=False)
class Check:
    """One check: its lines, manual discounts and guest; priced on demand."""

    id: str = field(factory=lambda: uuid.uuid4().hex)
    site: str
    till: str
    cashier: Person
    number: int | None = None
    opened_at: datetime = field(factory=lambda: datetime.now(UTC))
    state: CheckState = CheckState.OPEN
    lines: list[CheckLine] = field(factory=list)
    manual: list[Manual] = field(factory=list)
    guest: Guest | None = None
    identifier: Identifier | None = None
    quote: Quote | None = None
    seq: int = 0  # the number of the last audited action (its event's source_key)
    version: int = 0  # the saved row's version
    next_manual: int = 1
    # how it is priced: the store's rules and its local clock (not saved)
    rules: Sequence[DiscountRule] = ()
    now: Callable[[], datetime] = _local_now
    locale: str = "ru"  # of what it says when it refuses something
    _pricing: Pricing | None = field(default=None, init=False, repr=False)

    # -- reading ---------------------------------------------------------------------------

    @property
    def live(self) -> list[CheckLine]:
        return [ln for ln in self.lines if not ln.voided]

    def line(self, no: int) -> CheckLine:
        for ln in self.lines:
            if ln.no == no:
                if ln.voided:
                    raise _error(self.locale, "voided", no=no)
                return ln
        raise _error(self.locale, "no_line", no=no)

    @property
    def pricing(self) -> Pricing:
        if self._pricing is None:
            self._pricing = discounts.price(
                [ln.basis() for ln in self.live], rules=self.rules, now=self.now(),
                guest_groups=self.guest.groups if self.guest is not None else (),
                manual=self.manual, quote=self.quote)
        return self._pricing

    def reprice(self) -> Pricing:
        """Price again (the clock moved past a rule's window, the rules changed)."""
        self._pricing = None
        return self.pricing

    @property
    def subtotal(self) -> int:
        return self.pricing.subtotal

    @property
    def discount(self) -> int:
        return self.pricing.discount

    @property
    def total(self) -> int:
        return self.pricing.total

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -- changing --------------------------------------------------------------------------

    def _changed(self, *, keep_quote: bool = False) -> None:
        self._pricing = None
        if not keep_quote:
            self.quote = None

    def _editable(self) -> None:
        if self.state is not CheckState.OPEN:
            raise _error(self.locale, "not_open")

    def add(self, *, item_code: str, name: str, price: int, vat: VatRate,
            quantity: Decimal | int | str = 1, unit: Measure = Measure.PIECE,
            barcode: str | None = None, department: int | None = None, group: str = "",
            marking_code: str | None = None, flags: Iterable[LineFlag | str] = (),
            catalog_price: int | None = None) -> CheckLine:
        self._editable()
        q = _quantity(quantity, name, weighed=LineFlag.WEIGHED in _flags(flags),
                      locale=self.locale)
        if price < 0:
            raise _error(self.locale, "negative_price", name=name)
        if marking_code is not None:
            if q != 1:
                raise _error(self.locale, "marked_one", name=name)
            if any(ln.marking_code == marking_code for ln in self.live):
                raise _error(self.locale, "marking_twice", name=name)
        no = max((ln.no for ln in self.lines), default=0) + 1
        line = CheckLine(no=no, item_code=item_code, name=name, price=price, quantity=q,
                         vat=vat, unit=unit, barcode=barcode, department=department,
                         group=group, marking_code=marking_code, flags=_flags(flags),
                         catalog_price=price if catalog_price is None else catalog_price)
        self.lines.append(line)
        self._changed()
        return line

    def add_item(self, item: Item, price: int, *, quantity: Decimal | int | str | None = None,
                 barcode: str | None = None, marking_code: str | None = None) -> CheckLine:
        """A catalog item at ``price`` kopecks a unit."""
        flags: set[LineFlag] = set()
        if item.weighed:
            flags.add(LineFlag.WEIGHED)
        if item.marking_required:
            flags.add(LineFlag.MARKED)
        if item.fragile:
            flags.add(LineFlag.FRAGILE)
        return self.add(item_code=item.code, name=item.name, price=price, vat=item.vat,
                        quantity=1 if quantity is None else quantity, unit=item.unit,
                        barcode=barcode or (item.barcodes[0] if item.barcodes else None),
                        department=item.department, group=item.group,
                        marking_code=marking_code, flags=flags)

    def add_lookup(self, found: Lookup, *, quantity: Decimal | int | str | None = None,
                   marking_code: str | None = None) -> CheckLine:
        """What a scan found: a weighed-goods code brings its weight, a priced-goods code
        its amount (one unit at that price)."""
        if found.amount is not None and found.quantity is None:
            price, quantity = found.amount, 1
        elif found.price is None:
            raise _error(self.locale, "no_price", name=found.item.name)
        else:
            price = found.price
            if found.quantity is not None:
                quantity = found.quantity
        return self.add_item(found.item, price, quantity=quantity,
                             barcode=found.barcode or None, marking_code=marking_code)

    def set_quantity(self, no: int, quantity: Decimal | int | str) -> CheckLine:
        self._editable()
        old = self.line(no)
        q = _quantity(quantity, old.name, weighed=old.weighed, locale=self.locale)
        if old.marking_code is not None or LineFlag.MARKED in old.flags:
            if q != 1:
                raise _error(self.locale, "marked_one", name=old.name)
        return self._replace(old, quantity=q)

    def void_line(self, no: int, reason: str) -> CheckLine:
        self._editable()
        if not reason.strip():
            raise _error(self.locale, "void_reason")
        line = self._replace(self.line(no), voided=True, void_reason=reason.strip())
        # a manual discount on that line has nothing left to apply to
        self.manual = [m for m in self.manual if m.line != no]
        return line

    def override_price(self, no: int, price: int) -> CheckLine:
        self._editable()
        old = self.line(no)
        if price < 0:
            raise _error(self.locale, "negative_price", name=old.name)
        return self._replace(old, price=price, flags=old.flags | {LineFlag.PRICE_OVERRIDDEN})

    def add_manual(self, *, percent: Decimal | int | str | None = None,
                   amount: int | None = None, line: int | None = None, reason: str = "",
                   by: str = "", manager: str | None = None) -> Manual:
        self._editable()
        if line is not None:
            target = self.line(line)
            if LineFlag.NO_DISCOUNT in target.flags:
                raise _error(self.locale, "no_discount", name=target.name)
        elif not any(LineFlag.NO_DISCOUNT not in ln.flags for ln in self.live):
            raise _error(self.locale, "nothing_to_discount")
        try:
            m = Manual(self.next_manual, percent=None if percent is None
                       else Decimal(str(percent)), amount=amount, line=line,
                       reason=reason.strip(), by=by, manager=manager)
        except ValueError:
            raise _error(self.locale, "bad_discount") from None
        self.next_manual += 1
        self.manual.append(m)
        self._changed()
        return m

    def remove_manual(self, discount_id: int) -> Manual:
        self._editable()
        for m in self.manual:
            if m.id == discount_id:
                self.manual.remove(m)
                self._changed()
                return m
        raise _error(self.locale, "no_manual", id=discount_id)

    def set_guest(self, guest: Guest | None, identifier: Identifier | None = None,
                  quote: Quote | None = None) -> None:
        self._editable()
        self.guest, self.identifier, self.quote = guest, identifier, quote
        self._changed(keep_quote=True)

    def set_quote(self, quote: Quote | None) -> None:
        self.quote = quote
        self._changed(keep_quote=True)

    def _replace(self, old: CheckLine, **changes: Any) -> CheckLine:
        new = attrs.evolve(old, **changes)
        self.lines[self.lines.index(old)] = new
        self._changed()
        return new

    # -- leaving the engine ----------------------------------------------------------------

    def sale_lines(self) -> list[SaleLine]:
        priced = self.pricing.lines
        return [SaleLine(item_code=ln.item_code, name=ln.name, barcode=ln.barcode,
                         quantity=ln.quantity, unit=ln.unit, price=ln.price,
                         amount=priced[ln.no].amount, discount=priced[ln.no].discount,
                         vat=ln.vat, department=ln.department, marking_code=ln.marking_code,
                         flags=ln.flags)
                for ln in self.live]

    def to_draft(self, *, cashier_name: str | None = None, customer_contact: str | None = None
                 ) -> SaleDraft:
        """The check ready to pay. Refuses an empty check and a marked item whose code was
        not scanned."""
        if self.state is not CheckState.OPEN:
            raise _error(self.locale, "pay_open")
        if not self.live:
            raise _error(self.locale, "empty")
        for ln in self.live:
            if LineFlag.MARKED in ln.flags and ln.marking_code is None:
                raise _error(self.locale, "scan_marking", name=ln.name)
        lines = self.sale_lines()
        return SaleDraft(check_id=self.id, site=self.site, till=self.till,
                         cashier=cashier_name or self.cashier.name,
                         cashier_inn=self.cashier.inn, lines=lines,
                         total=sum(ln.amount for ln in lines),
                         guest=self.guest.id if self.guest is not None else None,
                         identifier=self.identifier, quote=self.quote,
                         customer_contact=customer_contact, number=self.number)

    def to_order(self) -> Order:
        """The check as the loyalty programme's ``quote`` reads an order: the lines after
        the store's and the cashier's discounts (the programme's own come on top)."""
        without = attrs.evolve(self, quote=None)
        without._pricing = None
        priced = without.pricing.lines
        lines = tuple(OrderLine(code=ln.item_code, name=ln.name, quantity=ln.quantity,
                                price=ln.price, amount=priced[ln.no].amount,
                                category=ln.group or None) for ln in self.live)
        return Order(site=self.site, number=str(self.number or self.id), guid=self.id,
                     waiter=self.cashier.name, lines=lines,
                     total=sum(ln.amount for ln in lines), opened_at=self.opened_at)

    def body(self) -> str:
        return codec.dumps(Body(cashier=self.cashier, lines=self.lines, manual=self.manual,
                                guest=self.guest, identifier=self.identifier, quote=self.quote,
                                seq=self.seq, next_manual=self.next_manual))

    @classmethod
    def from_row(cls, row: Any, *, rules: Sequence[DiscountRule] = (),
                 now: Callable[[], datetime] = _local_now) -> Check:
        b = codec.loads(row.body, Body)
        return cls(id=row.id, site=row.site, till=row.till, cashier=b.cashier,
                   number=row.number, opened_at=_utc(row.opened_at),
                   state=CheckState(row.state), lines=list(b.lines), manual=list(b.manual),
                   guest=b.guest, identifier=b.identifier, quote=b.quote, seq=b.seq,
                   version=row.version, next_manual=b.next_manual, rules=rules, now=now)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _quantity(value: Decimal | int | str, name: str, *, weighed: bool,
              locale: str = "ru") -> Decimal:
    try:
        raw = Decimal(str(value).replace(",", "."))
    except ArithmeticError:
        raise _error(locale, "not_number", value=value, name=name) from None
    if not raw.is_finite() or raw <= 0 or raw > MAX_QUANTITY:
        raise _error(locale, "qty_range", name=name, max=MAX_QUANTITY)
    q = qty(raw)
    if q != raw:
        raise _error(locale, "qty_places", name=name)
    if not weighed and q != q.to_integral_value():
        raise _error(locale, "qty_whole", name=name)
    return q


@frozen
class DeferredCheck:
    """A deferred check as the resume list shows it."""

    id: str
    number: int
    till: str
    cashier: str
    total: int
    deferred_at: datetime


class CheckBook:
    """A store's checks at its tills. Every change is authorised (``Rights``), saved in
    ``pos_check`` (so a restart loses nothing and a deferred check can be resumed on any
    till of the store) and audited (``engine/audit.py``). A denial is audited too
    (``pos_action_denied``) and raised as ``AccessDenied``."""

    def __init__(self, hub: Any, *, settings: PosSettings | None = None,
                 rights: Rights | None = None, site: str | None = None) -> None:
        self.hub = hub
        self.settings = settings if settings is not None else hub.section("pos", PosSettings)
        locale = getattr(getattr(hub.settings, "hub", None), "locale", "ru")
        self.locale = locale if locale in ("ru", "en") else "ru"
        self.rights = rights or Rights.from_settings(self.settings, locale=self.locale)
        self.site = site or self.settings.store or _only_site(hub, self.locale)
        self.tz = ZoneInfo(hub.site(self.site).timezone)
        self._lock = anyio.Lock()
        self.open_checks: dict[str, dict[str, Check]] = {}  # till -> id -> check
        self.active_ids: dict[str, str] = {}  # till -> the check it shows

    @classmethod
    async def of(cls, hub: Any) -> CheckBook:
        """The hub's book (made and loaded once per hub)."""
        state = hub.state("pos")
        # two tills starting at once must share one book, not each load their own
        async with state.setdefault(f"{STATE}.lock", anyio.Lock()):
            if STATE not in state:
                book = cls(hub)
                await book.load()
                state[STATE] = book
        book_: CheckBook = state[STATE]
        return book_

    def local_now(self) -> datetime:
        return self.hub.clock.now().astimezone(self.tz)

    # -- the store -------------------------------------------------------------------------

    async def load(self) -> None:
        """The store's open checks back on their tills (after a restart)."""
        async with self.hub.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(t.c.site == self.site,
                                                       t.c.state == CheckState.OPEN.value)
                                       .order_by(t.c.number))).all()
        self.open_checks.clear()
        for row in rows:
            c = self._attach(Check.from_row(row))
            self.open_checks.setdefault(c.till, {})[c.id] = c
            self.active_ids[c.till] = c.id

    def _attach(self, c: Check) -> Check:
        c.rules = tuple(self.settings.discounts)
        c.now = self.local_now
        c.locale = self.locale
        c.reprice()
        return c

    async def _save(self, c: Check, *, new: bool = False,
                    expect: CheckState | None = None) -> None:
        # one save at a time: two quick actions on a check (a double tap) must both
        # land, the second on the first's version, not fail as if another till wrote
        async with self._lock:
            now = self.hub.clock.now()
            values = {"till": c.till, "state": c.state.value, "cashier": c.cashier.code,
                      "total": c.total, "updated_at": now, "body": c.body(),
                      "deferred_at": now if c.state is CheckState.DEFERRED else None}
            version = c.version

            def write(conn: Any) -> int:
                if new:
                    number = conn.execute(select(func.coalesce(func.max(t.c.number), 0))
                                          .where(t.c.site == c.site)).scalar_one() + 1
                    conn.execute(insert(t).values(id=c.id, site=c.site, number=number,
                                                     opened_at=c.opened_at, version=1,
                                                     **values))
                    return int(number)
                cond = [t.c.id == c.id, t.c.version == version]
                if expect is not None:
                    cond.append(t.c.state == expect.value)
                done = conn.execute(update(t).where(*cond).values(version=version + 1, **values))
                if done.rowcount != 1:
                    raise _error(self.locale, "stale")
                return c.number or 0

            number = await self.hub.write_sync(write)
            c.version = 1 if new else version + 1
            c.number = number

    # -- rights and audit ------------------------------------------------------------------

    async def _authorize(self, c: Check | None, right: Right, actor: Person,
                         manager: Person | None, *, percent: Decimal | None = None
                         ) -> Person | None:
        try:
            if percent is not None:
                return self.rights.authorize_discount(actor, percent, manager)
            return self.rights.authorize(actor, right, manager)
        except AccessDenied as denied:
            await audit.record(self.hub, Kind.ACTION_DENIED, c, site=self.site,
                               actor=actor, manager=manager, right=right.value,
                               reason=str(denied))
            if c is not None:
                await self._save(c)  # the denial used a sequence number
            raise

    async def _done(self, c: Check, kind: Kind, actor: Person, manager: Person | None,
                    *, also: Sequence[tuple[Kind, dict[str, Any]]] = (), **kw: Any) -> None:
        """Save, then audit (``also``: more events of the same action, each with its own
        arguments). The events' keys (check id + seq) are saved with the check first, so a
        crash between the two re-emits the same keys, never new ones."""
        events = [audit.event(self.hub, kind, c, actor=actor, manager=manager, **kw)]
        events += [audit.event(self.hub, k, c, actor=actor, manager=manager, **more)
                   for k, more in also]
        await self._save(c)
        for ev in events:
            await self.hub.emit(ev)

    # -- the tills' checks -----------------------------------------------------------------

    def checks(self, till: str) -> list[Check]:
        """The checks open on ``till``, oldest first."""
        return list(self.open_checks.get(till, {}).values())

    def active(self, till: str) -> Check | None:
        cid = self.active_ids.get(till)
        return self.open_checks.get(till, {}).get(cid) if cid else None

    def switch(self, till: str, check_id: str) -> Check:
        c = self.open_checks.get(till, {}).get(check_id)
        if c is None:
            raise _error(self.locale, "not_here")
        self.active_ids[till] = check_id
        return c

    def get(self, check_id: str) -> Check:
        for checks in self.open_checks.values():
            if check_id in checks:
                return checks[check_id]
        raise _error(self.locale, "nowhere")

    async def open(self, till: str, *, actor: Person) -> Check:
        self._known_till(till)
        await self._authorize(None, Right.SELL, actor, None)
        c = self._attach(Check(site=self.site, till=till, cashier=actor,
                               opened_at=self.hub.clock.now()))
        key = f"pos:{c.id}:{c.next_seq()}"
        await self._save(c, new=True)  # numbers the check: the event names it
        self.open_checks.setdefault(till, {})[c.id] = c
        self.active_ids[till] = c.id
        await audit.record(self.hub, Kind.CHECK_OPENED, c, actor=actor, key=key)
        return c

    def _known_till(self, till: str) -> None:
        names = [t.name for t in self.settings.tills]
        if names and till not in names:
            raise _error(self.locale, "unknown_till", till=till)

    def _forget(self, c: Check) -> None:
        self.open_checks.get(c.till, {}).pop(c.id, None)
        if self.active_ids.get(c.till) == c.id:
            rest = self.checks(c.till)
            if rest:
                self.active_ids[c.till] = rest[-1].id
            else:
                self.active_ids.pop(c.till, None)

    # -- lines -----------------------------------------------------------------------------

    async def add(self, c: Check, found: Lookup | Item, *, actor: Person,
                  quantity: Decimal | int | str | None = None, price: int | None = None,
                  marking_code: str | None = None, manager: Person | None = None
                  ) -> CheckLine:
        """Sell what a scan found (or a catalog item). ``price``: typed by the cashier for an
        item without one, or instead of the catalog's: takes ``override_price``."""
        c._editable()
        catalog = found.price if isinstance(found, Lookup) else None
        confirmed = await self._authorize(c, Right.SELL, actor, None)
        if price is not None and price != catalog:
            confirmed = await self._authorize(c, Right.OVERRIDE_PRICE, actor, manager)
        if isinstance(found, Lookup) and price is None:
            line = c.add_lookup(found, quantity=quantity, marking_code=marking_code)
        else:
            item = found.item if isinstance(found, Lookup) else found
            if price is None:
                raise _error(self.locale, "no_price", name=item.name)
            if quantity is None and isinstance(found, Lookup):
                quantity = found.quantity  # a weighed code's weight, at the typed price
            line = c.add_item(item, price, quantity=quantity, marking_code=marking_code,
                              barcode=found.barcode if isinstance(found, Lookup) else None)
            if catalog is None or price != catalog:
                line = c._replace(line, catalog_price=catalog if catalog is not None
                                  else price, flags=line.flags | {LineFlag.PRICE_OVERRIDDEN})
        also: list[tuple[Kind, dict[str, Any]]] = []
        if LineFlag.PRICE_OVERRIDDEN in line.flags:
            also.append((Kind.PRICE_OVERRIDDEN, {
                "amount": line.base, "lines": [_event_line(line)], "line": line.no,
                "catalog_price": catalog, "price": line.price}))
        await self._done(c, Kind.LINE_ADDED, actor, confirmed, amount=line.base,
                         lines=[_event_line(line)], line=line.no, also=also)
        return line

    async def set_quantity(self, c: Check, no: int, quantity: Decimal | int | str, *,
                           actor: Person, manager: Person | None = None) -> CheckLine:
        old = c.line(no)
        new_q = _quantity(quantity, old.name, weighed=old.weighed, locale=self.locale)
        lower = new_q < old.quantity
        confirmed = await self._authorize(c, Right.VOID_LINE if lower else Right.SELL,
                                          actor, manager)
        line = c.set_quantity(no, new_q)
        await self._done(c, Kind.QUANTITY_CHANGED, actor, confirmed, amount=line.base,
                         lines=[_event_line(line)], line=no, was=old.quantity,
                         quantity=line.quantity,
                         severity=Severity.WARNING if lower else None)
        return line

    async def void_line(self, c: Check, no: int, *, reason: str, actor: Person,
                        manager: Person | None = None) -> CheckLine:
        c.line(no)
        if not reason.strip():
            raise _error(self.locale, "void_reason")
        confirmed = await self._authorize(c, Right.VOID_LINE, actor, manager)
        line = c.void_line(no, reason)
        await self._done(c, Kind.LINE_VOIDED, actor, confirmed, amount=line.base,
                         lines=[_event_line(line)], reason=line.void_reason, line=no)
        return line

    async def override_price(self, c: Check, no: int, price: int, *, reason: str,
                             actor: Person, manager: Person | None = None) -> CheckLine:
        old = c.line(no)
        confirmed = await self._authorize(c, Right.OVERRIDE_PRICE, actor, manager)
        line = c.override_price(no, price)
        await self._done(c, Kind.PRICE_OVERRIDDEN, actor, confirmed, amount=line.base,
                         lines=[_event_line(line)], reason=reason, line=no,
                         catalog_price=old.catalog_price, was=old.price, price=price)
        return line

    # -- discounts and the guest -----------------------------------------------------------

    async def manual_discount(self, c: Check, *, percent: Decimal | int | str | None = None,
                              amount: int | None = None, line: int | None = None,
                              reason: str = "", actor: Person, manager: Person | None = None
                              ) -> Manual:
        """A discount the cashier gives, within their role's limit (or the confirming
        manager's); the limit is checked on what the discount takes off."""
        c._editable()
        before = c.total if line is None else c.pricing.lines[c.line(line).no].amount
        trial = attrs.evolve(c, lines=list(c.lines), manual=list(c.manual))
        trial._pricing = None
        trial.add_manual(percent=percent, amount=amount, line=line, reason=reason)
        off = before - (trial.total if line is None else trial.pricing.lines[line].amount)
        share = discounts.percent_of(off, before)
        confirmed = await self._authorize(c, Right.MANUAL_DISCOUNT, actor, manager,
                                          percent=share)
        m = c.add_manual(percent=percent, amount=amount, line=line, reason=reason,
                         by=actor.code, manager=confirmed.code if confirmed else None)
        await self._done(c, Kind.MANUAL_DISCOUNT, actor, confirmed, amount=off,
                         reason=reason or None, line=line, percent=m.percent,
                         discount_id=m.id, total=c.total)
        return m

    async def remove_discount(self, c: Check, discount_id: int, *, actor: Person,
                              manager: Person | None = None) -> Manual:
        confirmed = await self._authorize(c, Right.MANUAL_DISCOUNT, actor, manager)
        before = c.total
        m = c.remove_manual(discount_id)
        await self._done(c, Kind.DISCOUNT_REMOVED, actor, confirmed,
                         amount=c.total - before, discount_id=discount_id, line=m.line)
        return m

    async def set_guest(self, c: Check, guest: Guest | None, *, actor: Person,
                        identifier: Identifier | None = None, quote: Quote | None = None
                        ) -> None:
        """The loyalty guest the cashier identified (None: removed). Saved, not audited
        apart (the sale names the guest)."""
        c.set_guest(guest, identifier, quote)
        await self._save(c)

    async def requote(self, c: Check, program: Any) -> Quote | None:
        """Ask the loyalty programme (``LoyaltyProgram.quote``) for the check's guest. A
        programme that does not answer (``RetryLater``) leaves the check without a quote:
        the till sells without loyalty rather than waits."""
        if c.guest is None:
            c.set_quote(None)
            return None
        quote: Quote | None
        try:
            quote = await program.quote(c.to_order(), c.guest)
        except RetryLater:
            quote = None
        c.set_quote(quote)
        await self._save(c)
        return quote

    # -- the whole check -------------------------------------------------------------------

    async def void_check(self, c: Check, *, reason: str, actor: Person,
                         manager: Person | None = None) -> None:
        c._editable()
        if not reason.strip():
            raise _error(self.locale, "void_check_reason")
        confirmed = await self._authorize(c, Right.VOID_CHECK, actor, manager)
        total = c.total
        c.state = CheckState.VOIDED
        await self._done(c, Kind.CHECK_VOIDED, actor, confirmed, amount=total,
                         reason=reason.strip(),
                         lines=[_event_line(ln) for ln in c.live])
        self._forget(c)

    async def defer(self, c: Check, *, actor: Person) -> None:
        """Park the check in the store: any till of the store can resume it."""
        c._editable()
        if not c.live:
            raise _error(self.locale, "defer_empty")
        confirmed = await self._authorize(c, Right.DEFER, actor, None)
        c.state = CheckState.DEFERRED
        await self._done(c, Kind.CHECK_DEFERRED, actor, confirmed, amount=c.total)
        self._forget(c)

    async def deferred(self) -> list[DeferredCheck]:
        """The store's deferred checks, newest first (those older than ``deferred_days``
        are left out: the goods went back to the shelf)."""
        since = self.hub.clock.now() - timedelta(days=self.settings.deferred_days)
        async with self.hub.engine.connect() as conn:
            rows = (await conn.execute(
                select(t.c.id, t.c.number, t.c.till, t.c.cashier, t.c.total, t.c.deferred_at)
                .where(t.c.site == self.site, t.c.state == CheckState.DEFERRED.value)
                .order_by(t.c.deferred_at.desc(), t.c.number.desc()))).all()
        out = [DeferredCheck(r.id, r.number, r.till, r.cashier, r.total, _utc(r.deferred_at))
               for r in rows]
        return [d for d in out if d.deferred_at >= since]

    async def resume(self, check_id: str, till: str, *, actor: Person) -> Check:
        """Take a deferred check onto ``till`` (any till of the store). Two tills resuming
        one check: the first wins, the second is told it is gone."""
        self._known_till(till)
        async with self.hub.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.id == check_id,
                                                      t.c.site == self.site))).first()
        if row is None or row.state != CheckState.DEFERRED.value:
            raise _error(self.locale, "not_deferred")
        c = self._attach(Check.from_row(row))
        await self._authorize(None, Right.DEFER, actor, None)
        was = c.till
        c.state, c.till = CheckState.OPEN, till
        ev = audit.event(self.hub, Kind.CHECK_RESUMED, c, actor=actor, amount=c.total,
                         deferred_on=was)
        await self._save(c, expect=CheckState.DEFERRED)
        await self.hub.emit(ev)
        self.open_checks.setdefault(till, {})[c.id] = c
        self.active_ids[till] = c.id
        return c

    async def close(self, c: Check, *, actor: Person, receipt: str | None = None) -> None:
        """The check is paid (pos-pay, after ``kassa.services.sale.settle``): it leaves the
        till and its sale is on record (``pos_check_closed``, the dashboard's revenue)."""
        c._editable()
        total = c.total
        c.state = CheckState.CLOSED
        await self._done(c, Kind.CHECK_CLOSED, actor, None, amount=total, receipt=receipt,
                         lines=[_event_line(ln) for ln in c.live])
        self._forget(c)


def _event_line(ln: CheckLine) -> Any:
    return audit.line(ln.name, ln.quantity, ln.base, code=ln.item_code, price=ln.price)


def _only_site(hub: Any, locale: str) -> str:
    sites = list(getattr(hub.settings, "sites", []) or [])
    if len(sites) == 1:
        return str(sites[0].code)
    raise _error(locale, "which_store")
