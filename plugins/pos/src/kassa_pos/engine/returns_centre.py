"""Returns in a chain store: another store's sale found at the chain's centre and returned
here, this store's own returns reserved there too, and the policy while the centre is out of
reach (``[pos.chain] returns``). A mixin of ``Returns``, reaching it only through the names
declared below."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
from kassa import codec
from kassa.errors import RetryLater, UserError
from kassa.model import Cashier, Operation, PaymentKind, Receipt, ReceiptPayment, ReceiptQr
from kassa.model.fiscal import ReceiptError

from kassa_pos.engine.pay import Payments, receipt_lines
from kassa_pos.engine.return_types import (
    Centre,
    OfflinePolicy,
    Refund,
    Returned,
    ReturnError,
    ReturnLine,
    ReturnPlan,
)
from kassa_pos.engine.values import SaleLine, Tender, TenderKind

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI

log = logging.getLogger("kassa_pos.returns")


class CentreReturns:
    hub: HubAPI
    payments: Payments
    site: str
    centre: Centre | None
    offline: OfflinePolicy
    _foreign: dict[str, dict[str, Any]]

    if TYPE_CHECKING:  # Returns' own, used here
        async def _stored(self, key: str) -> ReturnPlan | None: ...
        def _insert(self, c: Any, plan: ReturnPlan) -> None: ...
        async def _status(self, key: str, status: str, error: str) -> None: ...
        def _release(self, c: Any, plan: ReturnPlan, error: str) -> None: ...
        async def _run(self, plan: ReturnPlan, confirmed_by: str | None = None
                       ) -> Returned: ...

    async def _centre_sale(self, **query: Any) -> str:
        assert self.centre is not None
        try:
            sale = await self.centre.find(**query)
        except RetryLater as exc:
            code = "centre_offline_accept" if self.offline.accept else "centre_offline"
            raise ReturnError(code, limit=self.offline.limit) from exc
        except UserError as exc:
            raise ReturnError("centre", reason=exc) from exc
        check_id = str(sale["check_id"])
        self._foreign[check_id] = sale
        return check_id


    async def _own_at_centre(self, plan: ReturnPlan) -> None:
        """A chain store's own sale may have been returned in another store: the centre
        reserves the lines too. Refused: this store's reservation goes back and the return
        is refused. Out of reach, or the sale not there yet: this store's ledger decides
        (the centre claims the return when its document arrives; an overdraw is flagged)."""
        if self.centre is None or plan.check_id is None:
            return
        try:
            await self.centre.reserve(plan.key, plan.check_id,
                                      [(n, q) for n, q, _m, _b in plan.lines])
        except RetryLater as exc:
            log.info("return %s: the centre is out of reach (%s); this store decides",
                     plan.key, exc)
        except UserError as exc:
            if getattr(exc, "code", None) == "not_found":
                return  # the sale has not reached the centre yet
            why = str(exc)
            await self.hub.write_sync(lambda c: self._release(c, plan, why))
            raise ReturnError("centre", reason=exc) from exc

    # --- another store's sale -------------------------------------------------------------
    async def _by_centre(self, check_id: str, lines: Sequence[ReturnLine] | None, *,
                         return_id: str, till: str, cashier: str) -> Returned:
        """A sale of another store: the plan stored here first, then its lines reserved at
        the centre under the return's key (the same key again answers the same), then the
        cash back and the refund receipt. A resumed plan is not reserved again: one whose
        reservation a crash cut off is claimed when its document reaches the centre (an
        overdraw shows there as a conflict)."""
        assert self.centre is not None
        key = f"pos:{self.site}:{till}:ret:{return_id}"
        plan = await self._stored(key)
        if plan is not None:
            if lines is not None and \
                    [(ln.line_no, ln.quantity) for ln in lines] != [x[:2] for x in plan.lines]:
                raise ReturnError("other_plan")
            return await self._run(plan)
        if check_id not in self._foreign:  # a restart since the lookup: ask again
            await self._centre_sale(check_id=check_id)
        new = self._foreign_plan(self._foreign[check_id], lines, key=key, till=till,
                                 cashier=cashier)
        await self.hub.write_sync(lambda c: self._insert(c, new))
        try:
            await self.centre.reserve(key, check_id, [(n, q) for n, q, _m, _b in new.lines])
        except RetryLater as exc:
            if not self.offline.accept or new.receipt.total > self.offline.limit:
                await self._status(key, "failed", str(exc))
                if not self.offline.accept:
                    raise ReturnError("offline_refused") from exc
                raise ReturnError("offline_limit", limit=self.offline.limit,
                                  total=new.receipt.total) from exc
            log.warning("return %s: the centre is out of reach; accepted offline (%s)",
                        key, exc)
        except UserError as exc:
            await self._status(key, "failed", str(exc))
            raise ReturnError("centre", reason=exc) from exc
        self._foreign.pop(check_id, None)  # what is left has changed: ask again next time
        return await self._run(new)

    def _foreign_plan(self, sale: Mapping[str, Any], lines: Sequence[ReturnLine] | None, *,
                      key: str, till: str, cashier: str) -> ReturnPlan:
        """Cash back for lines of another store's sale (its tenders are that store's), the
        money of each line in proportion, the last units taking the rest."""
        by_no = {int(ln["line_no"]): ln for ln in sale["lines"]}
        wanted = [(ln.line_no, Decimal(ln.quantity)) for ln in lines] if lines is not None \
            else [(n, Decimal(ln["left"])) for n, ln in sorted(by_no.items())
                  if Decimal(ln["left"]) > 0]
        wanted = [(n, q) for n, q in wanted if q > 0]
        if not wanted:
            raise ReturnError("nothing")
        items, taken, goods = [], [], []
        for n, q in wanted:
            ln = by_no.get(n)
            if ln is None or not ln.get("line"):
                raise ReturnError("no_line", line=n + 1)
            sold, left, total = Decimal(ln["sold"]), Decimal(ln["left"]), int(ln["total"])
            if q > left:
                raise ReturnError("too_many", name=ln["name"], quantity=str(q),
                                  sold=str(sold), returned=str(sold - left))
            before = int((Decimal(total) * (sold - left) / sold).to_integral_value())
            money = total - before if q == left else int(
                (Decimal(total) * q / sold).to_integral_value())
            line = codec.from_dict(ln["line"], SaleLine)
            if money > 0:
                items += receipt_lines(line, money, quantity=q)
            taken.append((n, q, money, 0))
            goods.append(attrs.evolve(line, quantity=q, amount=money, discount=0))
        total = sum(x[2] for x in taken)
        if total <= 0:
            raise ReturnError("zero")
        original: Receipt = codec.from_dict(sale["receipt"], Receipt)
        receipt = Receipt(
            operation=Operation.SELL_REFUND, taxation=original.taxation, lines=items,
            payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)], total=total,
            issued_at=self.hub.clock.now(), cashier=Cashier(name=cashier),
            customer_contact=original.customer_contact, place=self.payments.config.place,
            address=self.payments.config.address, original_date=original.issued_at.date())
        cash = Tender(kind=TenderKind.CASH.value, amount=total)
        return ReturnPlan(key=key, check_id=str(sale["check_id"]), site=self.site, till=till,
                          cashier=cashier, receipt=receipt, lines=tuple(taken),
                          goods=tuple(goods), foreign=True,
                          refunds=(Refund(tender_no=-1, tender=cash, amount=total,
                                          original=None),))

    async def by_qr_offline(self, qr: str, lines: Sequence[SaleLine], *, till: str,
                            cashier: str, return_id: str, tz: tzinfo | None = None
                            ) -> Returned:
        """The centre out of reach and ``[pos.chain] returns = "accept"``: goods of another
        store's check back in cash, up to ``returns_limit`` and the receipt's own sum, the
        QR kept as proof; the centre matches them to the sale's lines when the return's
        document arrives (an overdraw is a conflict for a manager)."""
        if not self.offline.accept:
            raise ReturnError("offline_refused")
        try:
            parsed = ReceiptQr.parse(qr, tz or self.hub.clock.now().tzinfo or UTC)
        except ReceiptError as exc:
            raise ReturnError("qr", reason=exc) from exc
        if not lines:
            raise ReturnError("nothing")
        key = f"pos:{self.site}:{till}:ret:{return_id}"
        plan = await self._stored(key)
        if plan is None:
            total = sum(ln.amount for ln in lines)
            if total > parsed.total:
                raise ReturnError("over_receipt", total=total, receipt=parsed.total)
            if total > self.offline.limit:
                raise ReturnError("offline_limit", limit=self.offline.limit, total=total)
            receipt = Receipt(
                operation=Operation.SELL_REFUND, taxation=self.payments.config.taxation,
                lines=[rl for ln in lines for rl in receipt_lines(ln, ln.amount)],
                payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)],
                total=total, issued_at=self.hub.clock.now(), cashier=Cashier(name=cashier),
                place=self.payments.config.place, address=self.payments.config.address,
                original_date=parsed.at.date())
            cash = Tender(kind=TenderKind.CASH.value, amount=max(total, 1))
            plan = ReturnPlan(key=key, check_id=None, site=self.site, till=till,
                              cashier=cashier, receipt=receipt, lines=(), goods=tuple(lines),
                              proof=qr, refunds=(Refund(tender_no=-1, tender=cash,
                                                        amount=total, original=None),))
            stored = plan
            await self.hub.write_sync(lambda c: self._insert(c, stored))
        return await self._run(plan)
