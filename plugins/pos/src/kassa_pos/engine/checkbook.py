"""The store-backed ``CheckBook``: a store's open checks at its tills, every change authorised,
saved in ``pos_check`` and audited (the ``Check`` value itself is ``engine/check.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from attrs import frozen
from kassa.errors import RetryLater
from kassa.model import Event, Guest, Identifier, Quote, Severity
from sqlalchemy import bindparam, func, insert, select, text, update

from kassa_pos.engine import audit, discounts
from kassa_pos.engine.catalog import Item, Lookup
from kassa_pos.engine.check import (
    STATE,
    Check,
    CheckLine,
    CheckState,
    as_utc,
    check_error,
    parse_quantity,
)
from kassa_pos.engine.check_tables import check as t
from kassa_pos.engine.discounts import Manual
from kassa_pos.engine.rights import AccessDenied, Person, Right, Rights
from kassa_pos.engine.values import LineFlag
from kassa_pos.kinds import Kind
from kassa_pos.settings import PosSettings


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
        self.base = self.settings  # [pos] as configured; a rules package replaces parts
        self.adopted: list[Callable[[PosSettings], None]] = []  # tills hear new rules
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
        now: datetime = self.hub.clock.now().astimezone(self.tz)
        return now

    # -- the store -------------------------------------------------------------------------

    def adopt(self, rules: Mapping[str, Any] | None) -> None:
        """The centre's rules package (``chain/refdata.py``): staff, rights, limits and
        discount rules instead of ``[pos]``'s; open checks are priced by the new rules."""
        from kassa_pos.chain.refdata import effective

        self.settings = effective(self.base, rules)
        self.rights = Rights.from_settings(self.settings, locale=self.locale)
        for checks in self.open_checks.values():
            for c in checks.values():
                c.rules = tuple(self.settings.discounts)
                c.reprice()
        for heard in self.adopted:
            heard(self.settings)

    async def load(self) -> None:
        """The store's open checks back on their tills (after a restart), under the rules
        package the store applied last."""
        from kassa_pos.chain.refdata import rules_body

        async with self.hub.engine.connect() as conn:
            rules = await conn.run_sync(rules_body)
        if rules:
            self.adopt(rules)
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

    async def _save(self, c: Check, *, new: bool = False, expect: CheckState | None = None,
                    events: Sequence[Event] | Callable[[], Sequence[Event]] = (),
                    durable: bool = True) -> None:
        """Save the check and emit its ``events`` in the same transaction (one commit: both
        or neither). A callable builds them once a new check has its number. ``durable``
        False (a plain scan): not flushed to the disk at once, see ``add``."""
        # one save at a time: two quick actions on a check (a double tap) must both
        # land, the second on the first's version, not fail as if another till wrote
        async with self._lock:
            now = self.hub.clock.now()
            values = {"till": c.till, "state": c.state.value, "cashier": c.cashier.code,
                      "total": c.total, "updated_at": now, "body": c.body(),
                      "deferred_at": now if c.state is CheckState.DEFERRED else None}
            version = c.version

            def write(conn: Any) -> int:
                number = c.number or 0
                if new:
                    if conn.dialect.name == "postgresql":
                        # tills on other servers number in this store too: one at a time
                        # (the lock ends with the transaction)
                        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                                     {"k": f"pos_check:{c.site}"})
                    number = int(conn.execute(select(func.coalesce(func.max(t.c.number), 0))
                                              .where(t.c.site == c.site)).scalar_one()) + 1
                    conn.execute(insert(t).values(id=c.id, site=c.site, number=number,
                                                     opened_at=c.opened_at, version=1,
                                                     **values))
                    c.number = number  # a new check is nobody else's yet: its event names it
                else:
                    done = conn.execute(_update(expect is not None), {
                        "w_id": c.id, "w_version": version, "w_next": version + 1,
                        "w_expect": expect.value if expect is not None else None,
                        **{f"v_{k}": v for k, v in values.items()}})
                    if done.rowcount != 1:
                        raise check_error(self.locale, "stale")
                for ev in events() if callable(events) else events:
                    self.hub.emit(ev, conn=conn)  # write_sync's connection: written now
                return number

            number = await self.hub.write_sync(write, durable=durable)
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
            ev = audit.event(self.hub, Kind.ACTION_DENIED, c, site=self.site, actor=actor,
                             manager=manager, right=right.value, reason=str(denied))
            if c is not None:
                await self._save(c, events=[ev])  # the denial used a sequence number
            else:
                await self.hub.emit(ev)
            raise

    async def _done(self, c: Check, kind: Kind, actor: Person, manager: Person | None,
                    *, also: Sequence[tuple[Kind, dict[str, Any]]] = (), durable: bool = True,
                    **kw: Any) -> None:
        """Save and audit in one transaction (``also``: more events of the same action, each
        with its own arguments): the check and its events commit together or not at all.
        The events' keys (check id + seq) are saved with the check, so repeating an action
        that failed re-emits the same keys, never new ones."""
        events = [audit.event(self.hub, kind, c, actor=actor, manager=manager, **kw)]
        events += [audit.event(self.hub, k, c, actor=actor, manager=manager, **more)
                   for k, more in also]
        await self._save(c, events=events, durable=durable)

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
            raise check_error(self.locale, "not_here")
        self.active_ids[till] = check_id
        return c

    def get(self, check_id: str) -> Check:
        for checks in self.open_checks.values():
            if check_id in checks:
                return checks[check_id]
        raise check_error(self.locale, "nowhere")

    async def open(self, till: str, *, actor: Person) -> Check:
        self._known_till(till)
        await self._authorize(None, Right.SELL, actor, None)
        c = self._attach(Check(site=self.site, till=till, cashier=actor,
                               opened_at=self.hub.clock.now()))
        key = f"pos:{c.id}:{c.next_seq()}"
        # the save numbers the check, then the event names it (built in the transaction).
        # Not fsynced, as a plain scan (see ``add``): an empty check lost with the power
        # costs nothing, and the check's next durable commit flushes it
        await self._save(c, new=True, events=lambda: [
            audit.event(self.hub, Kind.CHECK_OPENED, c, actor=actor, key=key)],
            durable=False)
        self.open_checks.setdefault(till, {})[c.id] = c
        self.active_ids[till] = c.id
        return c

    def _known_till(self, till: str) -> None:
        names = [t.name for t in self.settings.tills]
        if names and till not in names:
            raise check_error(self.locale, "unknown_till", till=till)

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
        c.ensure_editable()
        catalog = found.price if isinstance(found, Lookup) else None
        confirmed = await self._authorize(c, Right.SELL, actor, None)
        if price is not None and price != catalog:
            confirmed = await self._authorize(c, Right.OVERRIDE_PRICE, actor, manager)
        if isinstance(found, Lookup) and price is None:
            line = c.add_lookup(found, quantity=quantity, marking_code=marking_code)
        else:
            item = found.item if isinstance(found, Lookup) else found
            if price is None:
                raise check_error(self.locale, "no_price", name=item.name)
            if quantity is None and isinstance(found, Lookup):
                quantity = found.quantity  # a weighed code's weight, at the typed price
            line = c.add_item(item, price, quantity=quantity, marking_code=marking_code,
                              barcode=found.barcode if isinstance(found, Lookup) else None)
            if catalog is None or price != catalog:
                line = c.replace_line(line, catalog_price=catalog if catalog is not None
                                  else price, flags=line.flags | {LineFlag.PRICE_OVERRIDDEN})
        also: list[tuple[Kind, dict[str, Any]]] = []
        if LineFlag.PRICE_OVERRIDDEN in line.flags:
            also.append((Kind.PRICE_OVERRIDDEN, {
                "amount": line.base, "lines": [_event_line(line)], "line": line.no,
                "catalog_price": catalog, "price": line.price}))
        # A plain scan is committed without an fsync (a third of its cost): a killed process
        # keeps it (SQLite's WAL), a power cut may take the last lines of a check not paid
        # yet, with their events (both or neither), and paying flushes them with its first
        # durable commit. A price override is a risky action: flushed at once.
        await self._done(c, Kind.LINE_ADDED, actor, confirmed, amount=line.base,
                         lines=[_event_line(line)], line=line.no, also=also,
                         durable=bool(also))
        return line

    async def set_quantity(self, c: Check, no: int, quantity: Decimal | int | str, *,
                           actor: Person, manager: Person | None = None) -> CheckLine:
        old = c.line(no)
        new_q = parse_quantity(quantity, old.name, weighed=old.weighed, locale=self.locale)
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
            raise check_error(self.locale, "void_reason")
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
        c.ensure_editable()
        before = c.total if line is None else c.pricing.lines[c.line(line).no].amount
        trial = c.trial()
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
                        identifier: Identifier | None = None, quote: Quote | None = None,
                        offline: bool = False) -> None:
        """The loyalty guest the cashier identified (None: removed; ``offline``: from the
        store's client register). Saved, not audited apart (the sale names the guest)."""
        c.set_guest(guest, identifier, quote, offline=offline)
        await self._save(c)

    async def requote(self, c: Check, program: Any) -> Quote | None:
        """Ask the loyalty programme (``LoyaltyProgram.quote``) for the check's guest. A
        programme that does not answer (``RetryLater``) leaves the check without a quote:
        the till sells without loyalty rather than waits. An answer for lines or a guest
        the check no longer has (the cashier scanned on while it was asked) is dropped."""
        if c.guest is None:
            c.set_quote(None)
            return None
        guest, order = c.guest, c.to_order()
        quote: Quote | None
        try:
            quote = await program.quote(order, guest)
        except RetryLater:
            quote = None
        if c.guest != guest or c.to_order() != order or c.state is not CheckState.OPEN:
            return None
        c.set_quote(quote)
        await self._save(c)
        return quote

    # -- the whole check -------------------------------------------------------------------

    async def void_check(self, c: Check, *, reason: str, actor: Person,
                         manager: Person | None = None) -> None:
        c.ensure_editable()
        if not reason.strip():
            raise check_error(self.locale, "void_check_reason")
        confirmed = await self._authorize(c, Right.VOID_CHECK, actor, manager)
        total = c.total
        c.state = CheckState.VOIDED
        await self._done(c, Kind.CHECK_VOIDED, actor, confirmed, amount=total,
                         reason=reason.strip(),
                         lines=[_event_line(ln) for ln in c.live])
        self._forget(c)

    async def defer(self, c: Check, *, actor: Person) -> None:
        """Park the check in the store: any till of the store can resume it."""
        c.ensure_editable()
        if not c.live:
            raise check_error(self.locale, "defer_empty")
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
        out = [DeferredCheck(r.id, r.number, r.till, r.cashier, r.total, as_utc(r.deferred_at))
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
            raise check_error(self.locale, "not_deferred")
        c = self._attach(Check.from_row(row))
        await self._authorize(None, Right.DEFER, actor, None)
        was = c.till
        c.state, c.till = CheckState.OPEN, till
        ev = audit.event(self.hub, Kind.CHECK_RESUMED, c, actor=actor, amount=c.total,
                         deferred_on=was)
        await self._save(c, expect=CheckState.DEFERRED, events=[ev])
        self.open_checks.setdefault(till, {})[c.id] = c
        self.active_ids[till] = c.id
        return c

    async def close(self, c: Check, *, actor: Person, receipt: str | None = None) -> None:
        """The check is paid (pos-pay, after ``kassa.services.sale.settle``): it leaves the
        till and its sale is on record (``pos_check_closed``, the dashboard's revenue)."""
        c.ensure_editable()
        total = c.total
        c.state = CheckState.CLOSED
        await self._done(c, Kind.CHECK_CLOSED, actor, None, amount=total, receipt=receipt,
                         lines=[_event_line(ln) for ln in c.live])
        self._forget(c)


_UPDATES: dict[bool, Any] = {}
_SAVED = ("till", "state", "cashier", "total", "updated_at", "body", "deferred_at")


def _update(expect: bool) -> Any:
    """The save's UPDATE, built once (building it per scan was a good part of a scan's
    time): this version of the check, and with ``expect`` in the state it expects."""
    stmt = _UPDATES.get(expect)
    if stmt is None:
        cond = [t.c.id == bindparam("w_id"), t.c.version == bindparam("w_version")]
        if expect:
            cond.append(t.c.state == bindparam("w_expect"))
        stmt = _UPDATES[expect] = update(t).where(*cond).values(
            version=bindparam("w_next"), **{k: bindparam(f"v_{k}") for k in _SAVED})
    return stmt


def _event_line(ln: CheckLine) -> Any:
    return audit.line(ln.name, ln.quantity, ln.base, code=ln.item_code, price=ln.price)


def _only_site(hub: Any, locale: str) -> str:
    sites = list(getattr(hub.settings, "sites", []) or [])
    if len(sites) == 1:
        return str(sites[0].code)
    raise check_error(locale, "which_store")
