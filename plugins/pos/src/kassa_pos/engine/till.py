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
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from kassa.model import FiscalDocument

from kassa_pos.engine import audit
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.check import Check, CheckBook, CheckLine
from kassa_pos.engine.pay import Paid, PayConfig, Payments
from kassa_pos.engine.returns import Returned, ReturnLine, Returns
from kassa_pos.engine.rights import AccessDenied, Person, Right
from kassa_pos.engine.shift import Shifts, XReport
from kassa_pos.engine.values import SaleLine, Tender
from kassa_pos.kinds import Kind

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI


class Till:
    def __init__(self, hub: HubAPI, name: str, *, catalog: Catalog, book: CheckBook,
                 config: PayConfig | None = None) -> None:
        self.hub = hub
        self.name = name
        self.site = book.site
        self.catalog = catalog
        self.book = book
        self.payments = Payments(hub, config)
        self.returns = Returns(hub, self.payments)
        self.shifts = Shifts(hub)

    @classmethod
    async def open(cls, hub: HubAPI, name: str, *, config: PayConfig | None = None,
                   catalog: Catalog | None = None) -> Till:
        """The till ``name`` on the hub's store: its catalog and check book loaded."""
        book = await CheckBook.of(hub)
        if catalog is None:
            catalog = await Catalog.open(hub, site=book.site)
        return cls(hub, name, catalog=catalog, book=book, config=config)

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
            from kassa.errors import UserError

            raise UserError("На кассе есть открытые чеки: оплатите, отложите или "
                            "аннулируйте их до закрытия смены.")
        return await self.shifts.close(site=self.site, till=self.name, cashier=actor.name,
                                       cashier_inn=actor.inn)

    # --- selling --------------------------------------------------------------------------
    async def new_check(self, actor: Person) -> Check:
        return await self.book.open(self.name, actor=actor)

    async def scan(self, check: Check, code: str, *, actor: Person,
                   quantity: Decimal | int | str | None = None,
                   marking_code: str | None = None) -> CheckLine:
        """Sell what a barcode (or an in-store weighed-goods code) names. A marking code
        (2000) is checked with the register (and through it the marking system) first:
        a code that may not be sold is refused before it reaches the check."""
        found = self.catalog.find(code)
        if marking_code is not None:
            await self.check_marking(marking_code)
        return await self.book.add(check, found, actor=actor, quantity=quantity,
                                   marking_code=marking_code)

    async def check_marking(self, code: str) -> None:
        """Ask the register about a marking code for sale (2003 = 1, a piece sold)."""
        from kassa.errors import UserError
        from kassa.model import PlannedStatus

        answer = await self.hub.fiscal.check_marking(code, int(PlannedStatus.PIECE_SOLD),
                                                     site=self.site, station=self.name)
        if not answer.valid:
            raise UserError("Товар с этим кодом маркировки продавать нельзя"
                            + (f": {answer.message}." if answer.message else "."))

    async def add(self, check: Check, *, actor: Person, item_code: str | None = None,
                  plu: int | None = None, quantity: Decimal | int | str | None = None,
                  price: int | None = None, manager: Person | None = None) -> CheckLine:
        """Sell an item picked by code or PLU (a search result, a weighed item)."""
        from kassa.errors import UserError

        item = self.catalog.by_code(item_code) if item_code is not None else \
            self.catalog.by_plu(plu) if plu is not None else None
        if item is None:
            raise UserError("Товар не найден.")
        catalog_price = self.catalog.price(item)
        if price is None and catalog_price is None:
            raise UserError(f"У товара «{item.name}» нет цены: введите её вручную.")
        from kassa_pos.engine.catalog import Lookup

        return await self.book.add(check, Lookup(item=item, price=catalog_price),
                                   actor=actor, quantity=quantity, price=price,
                                   manager=manager)

    async def pay(self, check: Check, tenders: Sequence[Tender], *, actor: Person,
                  customer_contact: str | None = None) -> Paid:
        """Pay and fiscalise the check, then close it on the till. ``RetryLater``: the money
        is held (paper out...), call ``pay`` again with the same tenders."""
        draft = check.to_draft(customer_contact=customer_contact)
        paid = await self.payments.pay(draft, tenders)
        await self.book.close(check, actor=actor, receipt=paid.document.qr)
        return paid

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
                await self.book.close(check, actor=actor, receipt=paid.document.qr)
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


def _id() -> str:
    return uuid.uuid4().hex


__all__ = ["Till"]
