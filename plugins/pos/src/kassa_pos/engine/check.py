"""Checks at the till: ``Check`` (the lines and their arithmetic, no I/O). The store's checks
(``CheckBook``: several open per till, deferred ones resumable on any till of the store,
each change authorised, saved in ``pos_check`` and audited) are ``engine/checkbook.py``.

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
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from attrs import define, field, frozen
from kassa import codec
from kassa.errors import UserError
from kassa.model import Guest, Identifier, Measure, Order, OrderLine, Quote, VatRate
from kassa.model.money import qty

from kassa_pos.engine import discounts
from kassa_pos.engine.catalog import Item, Lookup
from kassa_pos.engine.check_texts import TEXTS as _TEXTS
from kassa_pos.engine.discounts import Basis, Manual, Pricing
from kassa_pos.engine.rights import Person
from kassa_pos.engine.values import LineFlag, SaleDraft, SaleLine
from kassa_pos.settings import DiscountRule

MAX_QUANTITY = Decimal("99999.999")
STATE = "pos.checks"  # hub.state key of the store's CheckBook

def check_error(locale: str, key: str, **kw: Any) -> UserError:
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
    prompted: list[str] = field(factory=list)
    guest_offline: bool = False


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
    # the guest came from the store's client register (the programme out of reach): their
    # groups price the check, no quote is asked and no bonus moves
    guest_offline: bool = False
    seq: int = 0  # the number of the last audited action (its event's source_key)
    version: int = 0  # the saved row's version
    next_manual: int = 1
    # the "once" message rules that fired on it: saved with it, so a restart or a resume on
    # another till does not offer the bag again
    prompted: set[str] = field(factory=set)
    # how it is priced: the store's rules and its local clock (not saved)
    rules: Sequence[DiscountRule] = ()
    now: Callable[[], datetime] = _local_now
    locale: str = "ru"  # of what it says when it refuses something
    _pricing: Pricing | None = field(default=None, init=False, repr=False)
    # each line's JSON data by the line object (frozen: a change is a new object); a scan
    # saves the whole check, and unstructuring every line again was most of its encoding
    _encoded: dict[int, tuple[CheckLine, Any]] = field(factory=dict, init=False, repr=False)

    # -- reading ---------------------------------------------------------------------------

    @property
    def live(self) -> list[CheckLine]:
        return [ln for ln in self.lines if not ln.voided]

    def line(self, no: int) -> CheckLine:
        for ln in self.lines:
            if ln.no == no:
                if ln.voided:
                    raise check_error(self.locale, "voided", no=no)
                return ln
        raise check_error(self.locale, "no_line", no=no)

    @property
    def pricing(self) -> Pricing:
        if self._pricing is None:
            self._pricing = discounts.price(
                [ln.basis() for ln in self.live], rules=self.rules, now=self.now(),
                guest_groups=self.guest.groups if self.guest is not None else (),
                manual=self.manual, quote=self.quote)
        return self._pricing

    @property
    def quote_due(self) -> bool:
        """A guest without a loyalty quote: a change of the lines dropped it (ask again);
        never for a guest from the store's client register."""
        return self.guest is not None and self.quote is None and not self.guest_offline

    def trial(self) -> Check:
        """A copy to try a change on (its own lines, discounts and pricing)."""
        copy = attrs.evolve(self, lines=list(self.lines), manual=list(self.manual))
        copy._pricing = None
        return copy

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

    def ensure_editable(self) -> None:
        if self.state is not CheckState.OPEN:
            raise check_error(self.locale, "not_open")

    def add(self, *, item_code: str, name: str, price: int, vat: VatRate,
            quantity: Decimal | int | str = 1, unit: Measure = Measure.PIECE,
            barcode: str | None = None, department: int | None = None, group: str = "",
            marking_code: str | None = None, flags: Iterable[LineFlag | str] = (),
            catalog_price: int | None = None) -> CheckLine:
        self.ensure_editable()
        q = parse_quantity(quantity, name, weighed=LineFlag.WEIGHED in _flags(flags),
                      locale=self.locale)
        if price < 0:
            raise check_error(self.locale, "negative_price", name=name)
        if marking_code is not None:
            if q != 1:
                raise check_error(self.locale, "marked_one", name=name)
            if any(ln.marking_code == marking_code for ln in self.live):
                raise check_error(self.locale, "marking_twice", name=name)
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
            raise check_error(self.locale, "no_price", name=found.item.name)
        else:
            price = found.price
            if found.quantity is not None:
                quantity = found.quantity
        return self.add_item(found.item, price, quantity=quantity,
                             barcode=found.barcode or None, marking_code=marking_code)

    def set_quantity(self, no: int, quantity: Decimal | int | str) -> CheckLine:
        self.ensure_editable()
        old = self.line(no)
        q = parse_quantity(quantity, old.name, weighed=old.weighed, locale=self.locale)
        if old.marking_code is not None or LineFlag.MARKED in old.flags:
            if q != 1:
                raise check_error(self.locale, "marked_one", name=old.name)
        return self.replace_line(old, quantity=q)

    def void_line(self, no: int, reason: str) -> CheckLine:
        self.ensure_editable()
        if not reason.strip():
            raise check_error(self.locale, "void_reason")
        line = self.replace_line(self.line(no), voided=True, void_reason=reason.strip())
        # a manual discount on that line has nothing left to apply to
        self.manual = [m for m in self.manual if m.line != no]
        return line

    def override_price(self, no: int, price: int) -> CheckLine:
        self.ensure_editable()
        old = self.line(no)
        if price < 0:
            raise check_error(self.locale, "negative_price", name=old.name)
        return self.replace_line(old, price=price, flags=old.flags | {LineFlag.PRICE_OVERRIDDEN})

    def add_manual(self, *, percent: Decimal | int | str | None = None,
                   amount: int | None = None, line: int | None = None, reason: str = "",
                   by: str = "", manager: str | None = None) -> Manual:
        self.ensure_editable()
        if line is not None:
            target = self.line(line)
            if LineFlag.NO_DISCOUNT in target.flags:
                raise check_error(self.locale, "no_discount", name=target.name)
        elif not any(LineFlag.NO_DISCOUNT not in ln.flags for ln in self.live):
            raise check_error(self.locale, "nothing_to_discount")
        try:
            m = Manual(self.next_manual, percent=None if percent is None
                       else Decimal(str(percent)), amount=amount, line=line,
                       reason=reason.strip(), by=by, manager=manager)
        except ValueError:
            raise check_error(self.locale, "bad_discount") from None
        self.next_manual += 1
        self.manual.append(m)
        self._changed()
        return m

    def remove_manual(self, discount_id: int) -> Manual:
        self.ensure_editable()
        for m in self.manual:
            if m.id == discount_id:
                self.manual.remove(m)
                self._changed()
                return m
        raise check_error(self.locale, "no_manual", id=discount_id)

    def set_guest(self, guest: Guest | None, identifier: Identifier | None = None,
                  quote: Quote | None = None, *, offline: bool = False) -> None:
        self.ensure_editable()
        self.guest, self.identifier, self.quote = guest, identifier, quote
        self.guest_offline = offline and guest is not None
        self._changed(keep_quote=True)

    def set_quote(self, quote: Quote | None) -> None:
        self.quote = quote
        self._changed(keep_quote=True)

    def replace_line(self, old: CheckLine, **changes: Any) -> CheckLine:
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
            raise check_error(self.locale, "pay_open")
        if not self.live:
            raise check_error(self.locale, "empty")
        for ln in self.live:
            if LineFlag.MARKED in ln.flags and ln.marking_code is None:
                raise check_error(self.locale, "scan_marking", name=ln.name)
        lines = self.sale_lines()
        return SaleDraft(check_id=self.id, site=self.site, till=self.till,
                         cashier=cashier_name or self.cashier.name,
                         cashier_inn=self.cashier.inn, lines=lines,
                         total=sum(ln.amount for ln in lines),
                         guest=self.guest.id if self.guest is not None else None,
                         identifier=self.identifier, quote=self.quote,
                         customer_contact=customer_contact, number=self.number,
                         guest_offline=self.guest_offline)

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
        data = codec.to_dict(Body(cashier=self.cashier, lines=[], manual=self.manual,
                                  guest=self.guest, identifier=self.identifier,
                                  quote=self.quote, seq=self.seq, next_manual=self.next_manual,
                                  prompted=sorted(self.prompted),
                                  guest_offline=self.guest_offline))
        cache, lines = self._encoded, []
        for ln in self.lines:
            hit = cache.get(id(ln))
            if hit is None or hit[0] is not ln:
                hit = cache[id(ln)] = (ln, codec.to_dict(ln))
            lines.append(hit[1])
        if len(cache) > len(lines):  # replaced lines: drop theirs
            live = {id(ln) for ln in self.lines}
            for k in [k for k in cache if k not in live]:
                del cache[k]
        data["lines"] = lines
        return codec.json_dumps(data)

    @classmethod
    def from_row(cls, row: Any, *, rules: Sequence[DiscountRule] = (),
                 now: Callable[[], datetime] = _local_now) -> Check:
        b = codec.loads(row.body, Body)
        return cls(id=row.id, site=row.site, till=row.till, cashier=b.cashier,
                   number=row.number, opened_at=as_utc(row.opened_at),
                   state=CheckState(row.state), lines=list(b.lines), manual=list(b.manual),
                   guest=b.guest, identifier=b.identifier, quote=b.quote, seq=b.seq,
                   version=row.version, next_manual=b.next_manual, rules=rules, now=now,
                   prompted=set(b.prompted), guest_offline=b.guest_offline)


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_quantity(value: Decimal | int | str, name: str, *, weighed: bool,
              locale: str = "ru") -> Decimal:
    try:
        raw = Decimal(str(value).replace(",", "."))
    except ArithmeticError:
        raise check_error(locale, "not_number", value=value, name=name) from None
    if not raw.is_finite() or raw <= 0 or raw > MAX_QUANTITY:
        raise check_error(locale, "qty_range", name=name, max=MAX_QUANTITY)
    q = qty(raw)
    if q != raw:
        raise check_error(locale, "qty_places", name=name)
    if not weighed and q != q.to_integral_value():
        raise check_error(locale, "qty_whole", name=name)
    return q
