"""The ``Till``: the one object a till's UI drives. It wires the catalog (``Catalog``), the
store's checks (``CheckBook``), paying (``Payments``), returns (``Returns``) and the shift
(``Shifts``) for one till, and checks the cashier's rights for what the check book does not
(returns, cash in / out, shifts). Headless: no UI imports; every method is one cashier
action, and its errors are ``UserError`` sentences for the screen.

    till = await Till.open(hub, "t1")
    await till.open_shift(cashier, float_=500000)
    check = await till.new_check(cashier)
    await till.scan(check, "4601234567893", actor=cashier)
    paid = await till.pay(check, [Tender(kind="cash", amount=100000)], actor=cashier)
    for text in till.prompts(check): ...     # what the message rules tell the cashier

The message rules (``engine/messages.py``) are evaluated on every cashier action they name;
the prompts wait in ``till.prompts(check)`` (taken once) and the receipt texts go onto the
till's non-fiscal slip after the receipt (the fiscal ``Receipt`` has no free-text field);
with no slip printer configured (or the printer out of paper) they wait in
``till.slip_texts(check_id)``. ``till.client`` is the client service (cards, questionnaire).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from kassa.errors import RetryLater, UserError
from kassa.model import FiscalDocument, Guest, Identifier, Quote

from kassa_pos.engine import audit
from kassa_pos.engine.catalog import Catalog, Item
from kassa_pos.engine.check import Check, CheckLine, check_error
from kassa_pos.engine.checkbook import CheckBook
from kassa_pos.engine.client import ClientService, GuestCard
from kassa_pos.engine.devices import TillDevices
from kassa_pos.engine.messages import MessageSystem, TillEvent, TillEventKind
from kassa_pos.engine.pay import Paid, PayConfig, Payments
from kassa_pos.engine.returns import Centre, OfflinePolicy, Returned, ReturnLine, Returns
from kassa_pos.engine.rights import AccessDenied, Person, Right
from kassa_pos.engine.shift import Shifts, XReport
from kassa_pos.engine.values import SaleLine, Tender
from kassa_pos.kinds import Kind
from kassa_pos.settings import PaymentsSettings, PosSettings

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI


def pay_config(s: PaymentsSettings) -> PayConfig:
    """``[pos.payments]`` as ``Payments`` reads it."""
    from kassa.model import PaymentKind, TaxSystem

    return PayConfig(taxation=TaxSystem[s.taxation.upper()], terminals=tuple(s.terminals),
                     bonus_method=s.bonus_method or None,
                     deposit_method=s.deposit_method or None,
                     bonus_as="counter_provision" if s.bonus_as == "counter_provision"
                     else "discount",
                     internal={k: PaymentKind(v) for k, v in s.internal.items()},
                     max_change=s.max_change, place=s.place or None,
                     address=s.address or None)


class Till:
    def __init__(self, hub: HubAPI, name: str, *, catalog: Catalog, book: CheckBook,
                 config: PayConfig | None = None, messages: MessageSystem | None = None,
                 devices: TillDevices | None = None, centre: Centre | None = None,
                 offline: OfflinePolicy | None = None) -> None:
        self.hub = hub
        self.name = name
        self.site = book.site
        self.catalog = catalog
        self.book = book
        self.payments = Payments(hub, config)
        # centre: a chain store's way to other stores' sales (returns in any store)
        self.returns = Returns(hub, self.payments, site=self.site, centre=centre,
                               offline=offline)
        self.shifts = Shifts(hub)
        self.messages = messages or MessageSystem(())
        self.devices = devices or TillDevices(hub, site=self.site, till=name,
                                              locale=book.locale)
        self._client: ClientService | None = None
        self._prompts: dict[str, list[str]] = {}
        self._slips: dict[str, list[str]] = {}
        self._heard: Callable[[PosSettings], None] | None = None  # open()'s rules listener

    @classmethod
    async def open(cls, hub: HubAPI, name: str, *, config: PayConfig | None = None,
                   catalog: Catalog | None = None) -> Till:
        """The till ``name`` on the hub's store: its catalog and check book loaded, paying
        from ``[pos.payments]`` (``config`` given: that instead), the message rules and the
        till's devices from ``[pos]``."""
        book = await CheckBook.of(hub)
        if catalog is None:
            catalog = await Catalog.open(hub, site=book.site)
        settings = hub.section("pos", PosSettings)
        till = next((t for t in settings.tills if t.name == name), None)
        chain, centre = settings.chain, None
        if chain.nats and not chain.centre:  # a chain store: its leaf carries the requests
            from kassa_pos.chain.xreturns import Link

            centre = Link(chain.nats, store=book.site, timeout=chain.returns_timeout)
        messages = MessageSystem.of(hub, locale=book.locale, raw=book.settings.messages)

        def adopted(rules: PosSettings) -> None:  # the store's new rules package
            messages.replace(MessageSystem.of(hub, locale=book.locale, raw=rules.messages))
        book.adopted.append(adopted)
        opened = cls(hub, name, catalog=catalog, book=book,
                   config=config or pay_config(settings.payments),
                   messages=messages,
                   devices=TillDevices(hub, site=book.site, till=name, settings=till,
                                       locale=book.locale), centre=centre,
                   offline=OfflinePolicy(accept=chain.returns == "accept",
                                         limit=chain.returns_limit))
        opened._heard = adopted
        return opened

    async def aclose(self) -> None:
        """Let go of the till's connections (the centre's, when it made one) and stop
        hearing the store's rules (the book outlives the till)."""
        if self._heard in self.book.adopted:
            self.book.adopted.remove(self._heard)
        close = getattr(self.returns.centre, "close", None)
        if close is not None:
            await close()

    @property
    def client(self) -> ClientService:
        """The client service over the hub's loyalty programme, with ``[pos] questions``
        (built on first use: a till without a loyalty programme still sells)."""
        if self._client is None:
            self._client = ClientService.of(self.hub, self.name, locale=self.book.locale)
        return self._client

    # --- the message rules ----------------------------------------------------------------
    async def _event(self, check: Check, kind: TillEventKind, line: CheckLine | None = None
                     ) -> None:
        """Evaluate the rules on what just happened; keep their prompts and receipt texts."""
        if not self.messages.rules:
            return
        index = None
        if line is not None:
            index = next((i for i, ln in enumerate(check.live) if ln.no == line.no), None)
        lines = check.sale_lines()
        if line is not None and index is None:  # a voided line: the event is about it
            lines = [*lines, *_sale_line(check, line)]
            index = len(lines) - 1
        event = TillEvent.of(kind, check.id, lines, at=self.book.local_now(),
                             guest=check.guest, line=index, item=self.catalog.by_code,
                             site=self.site, till=self.name)
        for fired in await self.messages.evaluate(event, check.prompted):
            if fired.prompt:
                self._prompts.setdefault(check.id, []).append(fired.prompt)
            if fired.receipt:
                self._slips.setdefault(check.id, []).append(fired.receipt)

    def prompts(self, check: Check | str) -> list[str]:
        """The prompts the rules gave for ``check`` since the last call (taken once)."""
        return self._prompts.pop(check if isinstance(check, str) else check.id, [])

    def slip_texts(self, check_id: str) -> list[str]:
        """Receipt texts of ``check_id`` not printed (no slip printer, or it was out of
        paper: the job stays pending in the journal under ``slip_key``)."""
        return list(self._slips.get(check_id, []))

    @staticmethod
    def slip_key(check_id: str) -> str:
        return f"pos.slip:{check_id}"

    async def _allow(self, actor: Person, right: Right, manager: Person | None = None
                     ) -> Person | None:
        """The rights the check book does not check itself; a denial is audited."""
        try:
            return self.book.rights.authorize(actor, right, manager)
        except AccessDenied as denied:
            await audit.record(self.hub, Kind.ACTION_DENIED, None, site=self.site,
                               till=self.name, actor=actor, manager=manager,
                               right=right.value, reason=str(denied))
            raise

    # --- the shift ------------------------------------------------------------------------
    async def open_shift(self, actor: Person, *, float_: int = 0) -> FiscalDocument | None:
        await self._allow(actor, Right.OPEN_SHIFT)
        return await self.shifts.open(site=self.site, till=self.name, cashier=actor.name,
                                      cashier_inn=actor.inn, float_=float_)

    async def x_report(self, actor: Person) -> XReport:
        """The figures for the screen (the engine's records; nothing is printed)."""
        await self._allow(actor, Right.X_REPORT)
        return await self.shifts.x_report(site=self.site, till=self.name)

    async def cash_in(self, actor: Person, amount: int, *, op_id: str | None = None
                      ) -> FiscalDocument:
        await self._allow(actor, Right.CASH_IN)
        return await self.shifts.cash_in(site=self.site, till=self.name, amount=amount,
                                         cashier=actor.name, op_id=op_id or _id())

    async def cash_out(self, actor: Person, amount: int, *, op_id: str | None = None,
                       manager: Person | None = None) -> FiscalDocument:
        await self._allow(actor, Right.CASH_OUT, manager)
        return await self.shifts.cash_out(site=self.site, till=self.name, amount=amount,
                                          cashier=actor.name, op_id=op_id or _id())

    async def close_shift(self, actor: Person) -> tuple[XReport, FiscalDocument]:
        """The Z report on the register; the till's checks must be paid, parked or voided."""
        await self._allow(actor, Right.CLOSE_SHIFT)
        if self.book.checks(self.name):
            raise check_error(self.book.locale, "checks_open")
        return await self.shifts.close(site=self.site, till=self.name, cashier=actor.name,
                                       cashier_inn=actor.inn)

    async def open_drawer(self, actor: Person, *, reason: str,
                          manager: Person | None = None) -> bool:
        """The drawer opened without a sale (change for a customer, a banknote check): needs
        ``open_drawer`` and a reason; audited as ``pos_drawer_opened`` (a risky operation the
        owners are alerted to). The drawer is kicked through the slip printer when the till
        has one (True); without one the cashier opens it with its key and the event says so
        (False). A printer that fails raises before anything is audited."""
        if not reason.strip():
            raise check_error(self.book.locale, "drawer_reason")
        confirmed = await self._allow(actor, Right.OPEN_DRAWER, manager)
        key = f"pos:{self.site}:{self.name}:drawer:{_id()}"
        when = self.book.local_now().strftime("%d.%m.%Y %H:%M")
        kicked = await self.devices.kick_drawer(
            [f"{self.name}: {actor.name}", when, reason.strip()], key=f"{key}:kick")
        await audit.record(self.hub, Kind.DRAWER_OPENED, site=self.site, till=self.name,
                           actor=actor, manager=confirmed, key=key, reason=reason.strip(),
                           kicked=kicked)
        return kicked

    # --- selling --------------------------------------------------------------------------
    async def new_check(self, actor: Person) -> Check:
        check = await self.book.open(self.name, actor=actor)
        await self._event(check, TillEventKind.CHECK_OPENED)
        return check

    async def scan(self, check: Check, code: str, *, actor: Person,
                   quantity: Decimal | int | str | None = None,
                   marking_code: str | None = None) -> CheckLine:
        """Sell what a barcode (or an in-store weighed-goods code) names. A marking code
        (2000) is checked with the register (and through it the marking system) first:
        a code that may not be sold is refused before it reaches the check."""
        found = self.catalog.find(code)
        if marking_code is not None:
            await self.check_marking(marking_code)
        if quantity is None and found.quantity is None and found.amount is None:
            quantity = await self._weight(found.item)
        line = await self.book.add(check, found, actor=actor, quantity=quantity,
                                   marking_code=marking_code)
        await self._event(check, TillEventKind.LINE_ADDED, line)
        return line

    async def scan_active(self, code: str, *, actor: Person) -> CheckLine:
        """A scanner's read: sold on the till's active check (a new one when none)."""
        check = self.book.active(self.name) or await self.new_check(actor)
        return await self.scan(check, code, actor=actor)

    async def _weight(self, item: Item) -> Decimal | None:
        """A weighed item without a weight: the till's scale, if it has one (else the
        check book asks the cashier for the weight)."""
        if not item.weighed or not self.devices.has_scale:
            return None
        return await self.devices.weigh()

    async def check_marking(self, code: str) -> None:
        """Ask the register about a marking code for sale (2003 = 1, a piece sold)."""
        from kassa.model import PlannedStatus

        answer = await self.hub.fiscal.check_marking(code, int(PlannedStatus.PIECE_SOLD),
                                                     site=self.site, station=self.name)
        if not answer.valid:
            raise check_error(self.book.locale, "marking_refused",
                              why=f": {answer.message}" if answer.message else "")

    async def add(self, check: Check, *, actor: Person, item_code: str | None = None,
                  plu: int | None = None, quantity: Decimal | int | str | None = None,
                  price: int | None = None, manager: Person | None = None) -> CheckLine:
        """Sell an item picked by code or PLU (a search result, a weighed item)."""
        item = self.catalog.by_code(item_code) if item_code is not None else \
            self.catalog.by_plu(plu) if plu is not None else None
        if item is None:
            raise check_error(self.book.locale, "no_item")
        catalog_price = self.catalog.price(item)
        if price is None and catalog_price is None:
            raise check_error(self.book.locale, "no_price", name=item.name)
        from kassa_pos.engine.catalog import Lookup

        if quantity is None:
            quantity = await self._weight(item)
        line = await self.book.add(check, Lookup(item=item, price=catalog_price),
                                   actor=actor, quantity=quantity, price=price,
                                   manager=manager)
        await self._event(check, TillEventKind.LINE_ADDED, line)
        return line

    async def void_line(self, check: Check, no: int, *, reason: str, actor: Person,
                        manager: Person | None = None) -> CheckLine:
        line = await self.book.void_line(check, no, reason=reason, actor=actor,
                                         manager=manager)
        await self._event(check, TillEventKind.LINE_VOIDED, line)
        return line

    async def void_check(self, check: Check, *, reason: str, actor: Person,
                         manager: Person | None = None) -> None:
        await self.book.void_check(check, reason=reason, actor=actor, manager=manager)
        await self._event(check, TillEventKind.CHECK_VOIDED)
        self._prompts.pop(check.id, None)
        self._slips.pop(check.id, None)

    async def find_guest(self, identifier: str) -> GuestCard | None:
        """The guest a scanned card names: the loyalty programme's answer when it gives one,
        else the store's client register (``engine/client_register.py``: an ``offline``
        card, no bonus). None: a card nobody has; ``UserError``: a blocked card, or one
        nobody here can tell (``UnknownCard``)."""
        from kassa_pos.engine import client_register

        try:
            client: ClientService | None = self.client
            absent = None
        except UserError as exc:  # no programme at this till: the register alone
            client, absent = None, exc
        return await client_register.find(self.hub, client, identifier,
                                          locale=self.book.locale, no_client=absent)

    async def identify(self, check: Check, guest: Guest, *, actor: Person,
                       identifier: Identifier | None = None, quote: Quote | None = None,
                       offline: bool = False) -> None:
        """The loyalty guest the cashier identified (``find_guest`` found them; ``offline``:
        from the store's client register, so no quote is asked for them)."""
        await self.book.set_guest(check, guest, actor=actor, identifier=identifier,
                                  quote=quote, offline=offline)
        await self._event(check, TillEventKind.GUEST_IDENTIFIED)

    async def requote(self, check: Check) -> Quote | None:
        """The loyalty programme's quote for the check's guest, asked again if a change of
        the lines dropped it (the bonus figures and the guest's discount come from it);
        None: no guest, no programme here, or it did not answer (the till sells on)."""
        if not check.quote_due:
            return check.quote
        try:
            client = self.client
        except UserError:
            return None
        return await self.book.requote(check, client.program)

    async def subtotal(self, check: Check) -> int:
        """The cashier asks for the total before payment: the rules on the check total."""
        await self._event(check, TillEventKind.SUBTOTAL)
        return check.total

    async def pay(self, check: Check, tenders: Sequence[Tender], *, actor: Person,
                  customer_contact: str | None = None) -> Paid:
        """Pay and fiscalise the check, then close it on the till. ``RetryLater``: the money
        is held (paper out...), call ``pay`` again with the same tenders."""
        if check.quote_due and check.id not in await self.payments.pending(self.site,
                                                                           self.name):
            # the lines changed since the guest's quote; a held payment keeps its own plan
            await self.requote(check)
        draft = check.to_draft(customer_contact=customer_contact)
        paid = await self.payments.pay(draft, tenders)
        await self._closed(check, actor, paid)
        return paid

    async def _closed(self, check: Check, actor: Person, paid: Paid) -> None:
        """After the fiscal receipt: the check closed, the receipt-time rules, the slip."""
        await self._event(check, TillEventKind.RECEIPT)
        await self.book.close(check, actor=actor, receipt=paid.document.qr)
        await self._event(check, TillEventKind.CHECK_CLOSED)
        texts = self._slips.get(check.id)
        if texts:
            try:
                if await self.devices.print_slip(texts, key=self.slip_key(check.id)):
                    self._slips.pop(check.id, None)
            except RetryLater:
                pass  # journaled as pending under its key; the texts stay for the UI

    async def abandon_payment(self, check: Check, *, actor: Person) -> int:
        """Give back a payment held for ``check`` whose receipt was not made (see
        ``Payments.abandon``); the check stays open to pay otherwise or to void."""
        await self._allow(actor, Right.SELL)
        return await self.payments.abandon(check.id)

    async def resume_payments(self, actor: Person) -> list[Paid]:
        """At start: finish every payment a crash or a fault left unfinished on this till,
        and close their checks."""
        done = []
        for check_id in await self.payments.pending(self.site, self.name):
            paid = await self.payments.resume(check_id)
            if paid is None:
                continue
            done.append(paid)
            check = next((c for c in self.book.checks(self.name) if c.id == check_id), None)
            if check is not None:
                await self._closed(check, actor, paid)
        return done

    # --- returns --------------------------------------------------------------------------
    async def find_sale(self, *, qr: str | None = None, number: int | None = None,
                        fn: str | None = None, fd: int | None = None) -> str:
        return await self.returns.find(site=self.site, qr=qr, fn=fn, fd=fd, till=self.name,
                                       number=number)

    async def return_by_receipt(self, check_id: str, lines: Sequence[ReturnLine] | None, *,
                                actor: Person, manager: Person | None = None,
                                return_id: str | None = None) -> Returned:
        await self._allow(actor, Right.RETURN, manager)
        return await self.returns.by_receipt(check_id, lines, return_id=return_id or _id(),
                                             till=self.name, cashier=actor.name)

    async def return_by_qr_offline(self, qr: str, lines: Sequence[SaleLine], *,
                                   actor: Person, manager: Person | None = None,
                                   return_id: str | None = None) -> Returned:
        """Another store's check while the centre is out of reach (``[pos.chain] returns =
        "accept"``): the goods in cash up to the limit, the receipt's QR as proof."""
        await self._allow(actor, Right.RETURN, manager)
        return await self.returns.by_qr_offline(qr, lines, till=self.name, cashier=actor.name,
                                                return_id=return_id or _id())

    async def return_without_receipt(self, lines: Sequence[SaleLine], *, actor: Person,
                                     manager: Person | None,
                                     return_id: str | None = None) -> Returned:
        """Always confirmed by a manager (even one returning himself: two people)."""
        who = await self._allow(actor, Right.RETURN, manager)
        if who is None and manager is not None and manager.code != actor.code and \
                self.book.rights.allows(manager.role, Right.CONFIRM):
            who = manager
        if who is None:
            from kassa_pos.engine.returns import ReturnError

            raise ReturnError("no_right")
        return await self.returns.without_receipt(
            lines, site=self.site, till=self.name, cashier=actor.name,
            return_id=return_id or _id(), confirmed_by=who.name)


def _sale_line(check: Check, line: CheckLine) -> list[SaleLine]:
    """A voided line as the rules see it (at its catalog amount: it is off the check)."""
    return [SaleLine(item_code=line.item_code, name=line.name, barcode=line.barcode,
                     quantity=line.quantity, unit=line.unit, price=line.price,
                     amount=line.base, discount=0, vat=line.vat,
                     department=line.department, flags=line.flags)]


def _id() -> str:
    return uuid.uuid4().hex


__all__ = ["Till", "pay_config"]
