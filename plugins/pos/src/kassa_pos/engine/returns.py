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
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import sqlalchemy as sa
from attrs import frozen
from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    CardResult,
    Cashier,
    Event,
    FiscalDocument,
    Operation,
    PaymentKind,
    PaymentResult,
    Receipt,
    ReceiptPayment,
    ReceiptQr,
)
from kassa.model.fiscal import ReceiptError
from kassa.model.money import format_money

from kassa_pos.engine import pay_tables as t
from kassa_pos.engine.pay import (
    PayError,
    Payments,
    open_shift_no,
    receipt_lines,
    said,
    spread,
)
from kassa_pos.engine.values import SaleLine, Tender, TenderKind

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI

log = logging.getLogger("kassa_pos.returns")

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "not_found": "Чек продажи не найден.",
        "no_line": "В чеке нет позиции {line}.",
        "too_many": "Позицию «{name}» нельзя вернуть в количестве {quantity}: продано "
                    "{sold}, уже возвращено {returned}.",
        "nothing": "Нечего возвращать: выберите позиции.",
        "zero": "Сумма возврата округляется до 0,00 ₽: увеличьте количество.",
        "refund_declined": "Возврат на карту не прошёл: {reason}. Возврат не оформлен.",
        "needs_correction": "Деньги возвращены, но чек возврата не пробит: {reason}. Нужен "
                            "чек коррекции, позовите старшего кассира.",
        "stuck": "Возврат выполнен частично: {reason}. Позовите старшего кассира.",
        "no_right": "Возврат без чека требует подтверждения менеджера.",
        "other_plan": "Этот возврат уже начат с другими позициями.",
        "qr": "QR-код чека не читается: {reason}.",
        "failed_before": "Этот возврат уже отклонён: начните новый.",
        "centre": "Центр сети отказал в возврате: {reason}.",
        "centre_offline": "Чек продан в другом магазине, а связи с центром нет: возврат "
                          "сейчас невозможен.",
        "centre_offline_accept": "Чек продан в другом магазине, а связи с центром нет: "
                                 "оформите возврат по QR-коду чека, не больше {limit}.",
        "offline_refused": "Без связи с центром возврат по чужому чеку не принимается.",
        "offline_limit": "Без связи с центром можно вернуть не больше {limit}, а возврат "
                         "на {total}.",
        "over_receipt": "Возврат на {total} больше суммы чека {receipt}.",
    },
    "en": {
        "not_found": "The sale's receipt was not found.",
        "no_line": "The receipt has no line {line}.",
        "too_many": "'{name}' cannot be returned in quantity {quantity}: {sold} sold, "
                    "{returned} already returned.",
        "nothing": "Nothing to return: choose the lines.",
        "zero": "The refund rounds to 0.00 ₽: return a larger quantity.",
        "refund_declined": "The card refund failed: {reason}. Nothing was returned.",
        "needs_correction": "The money was returned but the refund receipt failed: "
                            "{reason}. A correction receipt is needed: call a supervisor.",
        "stuck": "The return is partly done: {reason}. Call a supervisor.",
        "no_right": "A return without a receipt needs a manager's confirmation.",
        "other_plan": "This return has already started with other lines.",
        "qr": "The receipt's QR code cannot be read: {reason}.",
        "failed_before": "This return was refused before: start a new one.",
        "centre": "The chain's centre refused the return: {reason}.",
        "centre_offline": "The check was sold in another store and the centre is out of "
                          "reach: it cannot be returned now.",
        "centre_offline_accept": "The check was sold in another store and the centre is out "
                                 "of reach: return it by the receipt's QR code, at most "
                                 "{limit}.",
        "offline_refused": "Without the centre a check of another store is not returned.",
        "offline_limit": "Without the centre at most {limit} can be returned, this return "
                         "is {total}.",
        "over_receipt": "The return of {total} exceeds the receipt's {receipt}.",
    },
}


_HALF_GRAM = Decimal("0.0005")


class ReturnError(PayError):
    def text(self, locale: str = "ru") -> str:
        loc = locale if locale in _TEXT else "ru"
        params = {k: format_money(v, loc) if k in _MONEY else v
                  for k, v in said(self.params, loc).items()}
        return _TEXT[loc][self.code].format(**params)


_MONEY = ("limit", "total", "receipt")


class Centre(Protocol):
    """The chain's centre as a store sees it (``chain.xreturns.Link``): every store's sales
    and what each line has left to return. A refusal is a ``UserError`` with the centre's
    sentence; out of reach is a ``RetryLater``."""

    async def find(self, *, check_id: str | None = None, fn: str | None = None,
                   fd: int | None = None) -> dict[str, Any]: ...

    async def reserve(self, key: str, check_id: str,
                      lines: Sequence[tuple[int, Decimal]]) -> dict[str, Any]: ...


@frozen
class OfflinePolicy:
    """``[pos.chain] returns`` / ``returns_limit``: with the centre out of reach, refuse a
    check of another store, or accept it by its QR up to ``limit`` kopecks."""

    accept: bool = False
    limit: int = 0


@frozen(kw_only=True)
class ReturnLine:
    line_no: int  # 0-based, the sale's line order
    quantity: Decimal


@frozen(kw_only=True)
class Refund:
    """Money going back through one of the sale's tenders."""

    tender_no: int
    tender: Tender
    amount: int
    original: str | None  # JSON CardResult / PaymentResult of the sale


@frozen(kw_only=True)
class ReturnPlan:
    key: str
    check_id: str | None
    site: str
    till: str
    cashier: str
    receipt: Receipt
    refunds: tuple[Refund, ...]
    lines: tuple[tuple[int, Decimal, int, int], ...]  # (line_no, quantity, money, bonus)
    # without a receipt: the goods brought back (what stock puts back on the shelf)
    goods: tuple[SaleLine, ...] = ()
    foreign: bool = False  # the sale is another store's (the centre reserved its lines)
    proof: str | None = None  # accepted offline: the receipt's QR, reconciled centrally


@frozen(kw_only=True)
class Returned:
    key: str
    document: FiscalDocument
    total: int
    refunds: tuple[Refund, ...]


class Returns:
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
                parsed = ReceiptQr.parse(qr, tz or self.hub.clock.now().tzinfo or _utc())
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
        if total <= 0:  # a few grams of a cheap line round to 0,00: no refund receipt exists
            raise ReturnError("zero")
        bonus_back = sum(x[3] for x in taken)
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
            parsed = ReceiptQr.parse(qr, tz or self.hub.clock.now().tzinfo or _utc())
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
                status="done", document=codec.dumps(doc), error=None))
            if c.execute(sa.select(t.cash.c.key).where(t.cash.c.key == key)).first() is None:
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
            data={"fd": doc.number, "by_receipt": plan.check_id is not None}))
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


def _utc() -> tzinfo:
    from datetime import UTC

    return UTC


__all__ = ["Centre", "OfflinePolicy", "ReturnError", "ReturnLine", "ReturnPlan", "Returned",
           "Returns"]
