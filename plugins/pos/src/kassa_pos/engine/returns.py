"""Returns: by the original receipt (found by its QR, its fiscal number or the till's check
number), full or partial, or without a receipt by a manager's right.

A return by receipt first RESERVES what it gives back in one write transaction: every
line's ``returned`` grows only under ``returned + q <= quantity`` (a guarded UPDATE), so a
line can never be returned twice and of two tills returning the same line at once exactly
one wins; the refund per payment kind is reserved the same way on ``pos_pay_tender``. The
plan is stored with the reservation (``pos_pay_return``), so a retry replays the same
journal keys. Then the money goes back the way it came (card refund through the terminal
that took it, bonus and deposit back to the account, cash from the drawer), then the refund
receipt (1054 = 2) with the original's date for its VAT rates. A declined card refund
releases the reservation; a receipt that fails for good after the money went back leaves
the return ``needs_correction`` (a correction receipt is due: the money has moved).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    CardResult,
    Cashier,
    Event,
    Operation,
    PaymentKind,
    PaymentResult,
    Receipt,
    ReceiptPayment,
    ReceiptQr,
)
from kassa.model.fiscal import ReceiptError

from kassa_pos.engine import pay_tables as t
from kassa_pos.engine.pay import (
    Payments,
    open_shift_no,
    receipt_lines,
    spread,
)
from kassa_pos.engine.return_types import (
    Centre,
    OfflinePolicy,
    Refund,
    Returned,
    ReturnError,
    ReturnLine,
    ReturnPlan,
)
from kassa_pos.engine.returns_centre import CentreReturns
from kassa_pos.engine.values import SaleLine, Tender, TenderKind

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI

log = logging.getLogger("kassa_pos.returns")
# SQLite keeps NUMERIC as a float: half a gram of slack admits no extra unit
_HALF_GRAM = Decimal("0.0005")

class Returns(CentreReturns):
    def __init__(self, hub: HubAPI, payments: Payments, *, site: str = "",
                 centre: Centre | None = None, offline: OfflinePolicy | None = None) -> None:
        self.hub = hub
        self.payments = payments
        self.site = site  # this store (another store's sale is returned under it)
        self.centre = centre  # None: not a chain store, only this store's sales
        self.offline = offline or OfflinePolicy()
        self._foreign: dict[str, dict[str, Any]] = {}  # check id -> the centre's answer

    # --- finding the original -------------------------------------------------------------
    async def find(self, *, site: str, qr: str | None = None, fn: str | None = None,
                   fd: int | None = None, till: str | None = None, number: int | None = None,
                   tz: tzinfo | None = None) -> str:
        """The ``check_id`` of a sale by its receipt's QR (``t=..&s=..&fn=..&i=..&fp=..&n=1``),
        its FN and fiscal document number, or the till's check number (the latest with it).
        ``ReturnError`` if there is none."""
        if qr is not None:
            try:
                parsed = ReceiptQr.parse(qr, tz or self.hub.clock.now().tzinfo or UTC)
            except ReceiptError as exc:
                raise ReturnError("qr", reason=exc.text("ru").rstrip(".")) from exc
            fn, fd = parsed.fn, parsed.number
        cond: list[Any] = [t.sale.c.site == site]
        if fn is not None and fd is not None:
            cond += [t.sale.c.fn == fn, t.sale.c.fd == fd]
        elif number is not None and till is not None:
            cond += [t.sale.c.till == till, t.sale.c.number == number]
        else:
            raise ReturnError("not_found")

        def q(c: Any) -> str | None:
            row = c.execute(sa.select(t.sale.c.check_id).where(*cond).order_by(
                t.sale.c.issued_at.desc())).first()
            return None if row is None else str(row[0])
        found = await self.hub.write_sync(q)
        if found is None and self.centre is not None and fn is not None and fd is not None:
            return await self._centre_sale(fn=fn, fd=fd)  # sold in another store?
        if found is None:
            raise ReturnError("not_found")
        return found

    async def returnable(self, check_id: str) -> list[tuple[int, str, Decimal]]:
        """(line_no, name, quantity still returnable) of a sale."""
        if check_id in self._foreign:  # another store's, as the centre answered
            return [(int(ln["line_no"]), str(ln["name"]), Decimal(ln["left"]))
                    for ln in self._foreign[check_id]["lines"]]
        def q(c: Any) -> list[tuple[int, str, Decimal]]:
            rows = c.execute(sa.select(t.sale_line).where(
                t.sale_line.c.check_id == check_id).order_by(t.sale_line.c.line_no))
            return [(r.line_no, r.name, Decimal(r.quantity) - Decimal(r.returned))
                    for r in rows]
        return await self.hub.write_sync(q)

    # --- by receipt -----------------------------------------------------------------------
    async def by_receipt(self, check_id: str, lines: Sequence[ReturnLine] | None, *,
                         return_id: str, till: str, cashier: str) -> Returned:
        """Return ``lines`` (None: everything still returnable) of sale ``check_id``.
        ``return_id`` names the return: calling again with it resumes, never repeats."""
        sale = await self.payments.sale(check_id)
        if sale is None and self.centre is not None:
            return await self._by_centre(check_id, lines, return_id=return_id, till=till,
                                         cashier=cashier)
        if sale is None:
            raise ReturnError("not_found")
        key = f"pos:{sale['site']}:{till}:ret:{return_id}"
        plan = await self._stored(key)
        if plan is None:
            plan = await self.hub.write_sync(
                lambda c: self._reserve(c, sale, lines, key=key, till=till, cashier=cashier))
            await self._own_at_centre(plan)
        elif lines is not None and plan.check_id == check_id and \
                [(ln.line_no, ln.quantity) for ln in lines] != [x[:2] for x in plan.lines]:
            raise ReturnError("other_plan")
        return await self._run(plan)

    def _reserve(self, c: Any, sale: dict[str, Any], lines: Sequence[ReturnLine] | None, *,
                 key: str, till: str, cashier: str) -> ReturnPlan:
        check_id = sale["check_id"]
        rows = {r.line_no: r for r in c.execute(sa.select(t.sale_line).where(
            t.sale_line.c.check_id == check_id))}
        wanted = [(ln.line_no, ln.quantity) for ln in lines] if lines is not None else [
            (n, Decimal(r.quantity) - Decimal(r.returned)) for n, r in sorted(rows.items())
            if Decimal(r.quantity) > Decimal(r.returned)]
        wanted = [(n, Decimal(q)) for n, q in wanted if Decimal(q) > 0]
        if not wanted:
            raise ReturnError("nothing")
        items, taken = [], []
        for n, q in wanted:
            r = rows.get(n)
            if r is None:
                raise ReturnError("no_line", line=n + 1)
            sold, back = Decimal(r.quantity), Decimal(r.returned)
            col = t.sale_line.c
            # the guard: of two returns racing for the same units only one matches. SQLite
            # keeps NUMERIC as a float (0.021 + 0.050 > 0.071 there): half a gram of slack
            # admits no extra unit (quantities are whole grams) and the sum is rounded
            done = c.execute(t.sale_line.update().where(
                col.check_id == check_id, col.line_no == n,
                col.returned + q <= col.quantity + _HALF_GRAM).values(
                returned=sa.func.round(col.returned + q, 3)))
            if done.rowcount != 1:
                fresh = c.execute(sa.select(col.returned).where(
                    col.check_id == check_id, col.line_no == n)).scalar_one()
                raise ReturnError("too_many", name=r.name, quantity=str(q), sold=str(sold),
                                  returned=str(Decimal(fresh)))
            last = back + q == sold  # the last units take what rounding left over
            money = r.total - r.refunded if last else int(
                (Decimal(r.total) * q / sold).to_integral_value())
            bonus = r.bonus - r.bonus_refunded if last else int(
                (Decimal(r.bonus) * q / sold).to_integral_value())
            c.execute(t.sale_line.update().where(col.check_id == check_id,
                                                 col.line_no == n).values(
                refunded=col.refunded + money, bonus_refunded=col.bonus_refunded + bonus))
            sale_line = codec.loads(r.line, SaleLine)
            if money > 0:
                items += receipt_lines(sale_line, money, quantity=q)
            taken.append((n, q, money, bonus))
        total = sum(x[2] for x in taken)
        bonus_back = sum(x[3] for x in taken)
        if total <= 0 and bonus_back <= 0:  # a few grams of a cheap line round to 0,00
            raise ReturnError("zero")
        tenders = list(c.execute(sa.select(t.tender).where(
            t.tender.c.check_id == check_id).order_by(t.tender.c.n)))
        pay = self.payments
        paid = [(r, codec.loads(r.tender, Tender)) for r in tenders]
        on_receipt = [(r, td) for r, td in paid if pay.payment_kind(td) is not None]
        as_discount = [(r, td) for r, td in paid if pay.payment_kind(td) is None]
        refunds: list[Refund] = []
        for group, amount in ((on_receipt, total), (as_discount, bonus_back)):
            left = [r.amount - r.refunded for r, _ in group]
            for (r, td), share in zip(group, spread(amount, left), strict=True):
                if share <= 0:
                    continue
                c.execute(t.tender.update().where(
                    t.tender.c.check_id == check_id, t.tender.c.n == r.n,
                    t.tender.c.refunded + share <= t.tender.c.amount).values(
                    refunded=t.tender.c.refunded + share))
                refunds.append(Refund(tender_no=r.n, tender=td, amount=share,
                                      original=r.result))
        sums: dict[PaymentKind, int] = {}
        for rf in refunds:
            kind = pay.payment_kind(rf.tender)
            if kind is not None:
                sums[kind] = sums.get(kind, 0) + rf.amount
        original: Receipt = codec.loads(sale["receipt"], Receipt)
        receipt = Receipt(
            operation=Operation.SELL_REFUND, taxation=original.taxation, lines=items,
            payments=[ReceiptPayment(kind=k, amount=a) for k, a in sums.items()],
            total=total, issued_at=self.hub.clock.now(),
            cashier=Cashier(name=cashier), customer_contact=original.customer_contact,
            place=original.place, address=original.address,
            original_date=original.issued_at.date())
        plan = ReturnPlan(key=key, check_id=check_id, site=sale["site"], till=till,
                          cashier=cashier, receipt=receipt, refunds=tuple(refunds),
                          lines=tuple(taken))
        self._insert(c, plan)
        return plan

    # --- without a receipt ----------------------------------------------------------------
    async def without_receipt(self, lines: Sequence[SaleLine], *, site: str, till: str,
                              cashier: str, return_id: str, confirmed_by: str | None
                              ) -> Returned:
        """Return goods sold without a receipt at hand: cash back, today's VAT rates. The
        caller checks the right (``engine/rights``) and names the manager who confirmed."""
        if not confirmed_by:
            raise ReturnError("no_right")
        if not lines:
            raise ReturnError("nothing")
        key = f"pos:{site}:{till}:ret:{return_id}"
        plan = await self._stored(key)
        if plan is None:
            total = sum(ln.amount for ln in lines)
            items = [rl for ln in lines for rl in receipt_lines(ln, ln.amount)]
            cash = Tender(kind=TenderKind.CASH.value, amount=max(total, 1))
            receipt = Receipt(
                operation=Operation.SELL_REFUND, taxation=self.payments.config.taxation,
                lines=items, payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)],
                total=total, issued_at=self.hub.clock.now(), cashier=Cashier(name=cashier),
                place=self.payments.config.place, address=self.payments.config.address)
            plan = ReturnPlan(key=key, check_id=None, site=site, till=till, cashier=cashier,
                              receipt=receipt, lines=(), goods=tuple(lines),
                              refunds=(Refund(tender_no=-1, tender=cash, amount=total,
                                              original=None),))
            await self.hub.write_sync(lambda c: self._insert(c, plan))
        return await self._run(plan, confirmed_by=confirmed_by)

    # --- running a plan -------------------------------------------------------------------
    async def _run(self, plan: ReturnPlan, confirmed_by: str | None = None) -> Returned:
        hub, key, site, till = self.hub, plan.key, plan.site, plan.till
        moved = 0
        # cards first: the likeliest to be refused, and nothing has moved yet then
        order = sorted(plan.refunds, key=lambda rf: rf.tender.base is not TenderKind.CARD)
        try:
            for rf in order:
                k = f"{key}:refund:{rf.tender_no}"
                if rf.tender.base is TenderKind.CARD:
                    original = codec.loads(rf.original or "", CardResult)
                    await hub.payments.card_refund(rf.amount, original, key=k, site=site,
                                                   station=till, terminal=rf.tender.terminal)
                elif rf.tender.base in (TenderKind.BONUS, TenderKind.DEPOSIT):
                    held = codec.loads(rf.original or "", PaymentResult)
                    await hub.payments.refund(held.id, rf.amount, key=k, site=site,
                                              station=till,
                                              method=self.payments.method_for(rf.tender))
                moved += 1  # cash and internal kinds: handed back at the till
        except RetryLater:
            raise
        except (UserError, Permanent) as exc:
            why = str(exc)
            if moved == 0 and plan.check_id is not None:
                await hub.write_sync(lambda c: self._release(c, plan, why))
                raise ReturnError("refund_declined", reason=exc) from exc
            await self._status(key, "stuck", str(exc))
            raise ReturnError("stuck", reason=exc) from exc
        doc = None
        # points only (the lines' money went back before, or points paid for them): no
        # money moves, so no settlement and no refund receipt (54-FZ art. 1.2)
        if plan.receipt.total > 0:
            try:
                doc = await hub.fiscal.receipt(plan.receipt, key=f"{key}:receipt", site=site,
                                               station=till)
            except (UserError, Permanent) as exc:
                await self._status(key, "needs_correction", str(exc))
                raise ReturnError("needs_correction", reason=exc) from exc
        cash = sum(rf.amount for rf in plan.refunds if rf.tender.base is TenderKind.CASH)
        now = hub.clock.now()

        def finish(c: Any) -> None:
            c.execute(t.return_.update().where(t.return_.c.key == key).values(
                status="done", document=None if doc is None else codec.dumps(doc),
                error=None))
            if doc is not None and c.execute(
                    sa.select(t.cash.c.key).where(t.cash.c.key == key)).first() is None:
                c.execute(t.cash.insert(), {
                    "key": key, "site": site, "till": till,
                    "shift": open_shift_no(c, site, till) or 0, "kind": "refund",
                    "amount": cash, "non_cash": plan.receipt.total - cash, "at": now})
        await hub.write_sync(finish)
        from kassa_pos.kinds import Kind

        await hub.emit(Event.of(
            site=site, kind=Kind.RETURN, source_key=f"{key}:done", occurred_at=now,
            station=till, employee=plan.cashier, manager=confirmed_by,
            order=plan.check_id, amount=plan.receipt.total,
            data={"fd": None if doc is None else doc.number,
                  "by_receipt": plan.check_id is not None}))
        return Returned(key=key, document=doc, total=plan.receipt.total, refunds=plan.refunds)

    # --- records --------------------------------------------------------------------------
    def _insert(self, c: Any, plan: ReturnPlan) -> None:
        # another store's sale is not in this store's tables: its lines stay off the row
        # (stock puts a row's goods back only without a check id)
        c.execute(t.return_.insert(), {
            "key": plan.key, "check_id": None if plan.foreign else plan.check_id,
            "site": plan.site, "till": plan.till,
            "status": "pending", "total": plan.receipt.total, "plan": codec.dumps(plan),
            "created_at": self.hub.clock.now()})

    async def _stored(self, key: str) -> ReturnPlan | None:
        def q(c: Any) -> tuple[str, str] | None:
            row = c.execute(sa.select(t.return_.c.plan, t.return_.c.status).where(
                t.return_.c.key == key)).first()
            return None if row is None else (str(row[0]), str(row[1]))
        found = await self.hub.write_sync(q)
        if found is None:
            return None
        if found[1] == "failed":
            raise ReturnError("failed_before")
        return codec.loads(found[0], ReturnPlan)

    async def _status(self, key: str, status: str, error: str) -> None:
        await self.hub.write_sync(lambda c: c.execute(t.return_.update().where(
            t.return_.c.key == key).values(status=status, error=error)))

    def _release(self, c: Any, plan: ReturnPlan, error: str) -> None:
        """Give the reservation back: the card refund was refused, nothing moved."""
        col, tc = t.sale_line.c, t.tender.c
        for n, q, money, bonus in plan.lines:
            c.execute(t.sale_line.update().where(col.check_id == plan.check_id,
                                                 col.line_no == n).values(
                returned=col.returned - q, refunded=col.refunded - money,
                bonus_refunded=col.bonus_refunded - bonus))
        for rf in plan.refunds:
            c.execute(t.tender.update().where(tc.check_id == plan.check_id,
                                              tc.n == rf.tender_no).values(
                refunded=tc.refunded - rf.amount))
        # the key is spent (its journal entries hold the decline): a retry takes a new id
        c.execute(t.return_.update().where(t.return_.c.key == plan.key).values(
            status="failed", error=error))



__all__ = ["Centre", "OfflinePolicy", "ReturnError", "ReturnLine", "ReturnPlan", "Returned",
           "Returns"]
