"""Paying a check (``SaleDraft``) with any mix of tenders, then the fiscal receipt.

The order is the core's (``kassa.services.sale.settle``, DESIGN §5b): every account payment
held and every card approved -> the receipt through ``hub.fiscal`` -> holds captured and
suspended cards committed -> slips. A receipt that fails for good voids the holds and
cancels / rolls back the cards: no receipt without money, no money without a receipt.

The plan (receipt + charges) is written to ``pos_pay_attempt`` BEFORE any money moves, under
the attempt's key ``pos:<site>:<till>:<check>:<n>``. A crash, a timeout or ``RetryLater``
(paper out) leaves it ``pending``; ``resume`` / ``pay`` again replays the very same request
under the same journal keys, so nothing is charged or fiscalised twice. A definite failure
(declined card, permanent register fault) marks it ``failed``; the next try is attempt n+1
with fresh keys (the journal keeps a decline for its key).

How each tender reaches the receipt (FFD 1.2 tags, ``/work/shared/protocols/fiscal.md``
§1.2; the protocols' README has no decision on bonus points, so it is a setting):
cash -> 1031 (the amount handed over; change is given from it), card -> 1081,
deposit -> 1215 "предоплатой (зачёт аванса)" (the guest's money was fiscalised as an advance
when it was paid in), bonus -> by ``bonus_as``: ``discount`` (default: points are the shop's
own discount, so the lines' prices fall and the receipt carries no bonus payment) or
``counter_provision`` -> 1217; an internal kind -> the ``PaymentKind`` its config names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs
import sqlalchemy as sa
from attrs import field, frozen
from kassa import codec
from kassa.errors import KassaError, Permanent, RetryLater, UserError
from kassa.model import (
    CardResult,
    Cashier,
    Event,
    FiscalDocument,
    Operation,
    PaymentKind,
    PaymentResult,
    PaymentStatus,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
)
from kassa.model.fiscal_rules import LINE_TOLERANCE, line_total
from kassa.model.money import format_money
from kassa.services.sale import AccountCharge, CardCharge, Settlement, settle

from kassa_pos.engine import pay_tables as t
from kassa_pos.engine.pay_texts import TEXT as _TEXT
from kassa_pos.engine.values import SaleDraft, SaleLine, Tender, TenderKind

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI

UNIT = Decimal("0.001")


class PayError(UserError):
    """A payment the till refuses or that failed, in one sentence for the cashier.
    ``str(err)`` is Russian (the till's default); ``err.text("en")`` is English."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        loc = locale if locale in _TEXT else "ru"
        params = {k: format_money(v, loc) if isinstance(v, int) and not isinstance(v, bool)
                  else v for k, v in said(self.params, loc).items()}
        return _TEXT[loc][self.code].format(**params)


def said(params: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """An error among a sentence's params (the reason a payment failed) in the sentence's
    language: its own ``text``, else its English ``str``, without the closing stop."""
    return {k: (v.text(locale) if isinstance(v, KassaError) else str(v)).rstrip(".")
            if isinstance(v, BaseException) else v for k, v in params.items()}


def _kinds(value: Mapping[str, PaymentKind | str]) -> dict[str, PaymentKind]:
    return {k: PaymentKind(v) for k, v in value.items()}


@frozen(kw_only=True)
class PayConfig:
    """What paying needs from the ``[pos]`` settings (the Till builds it from them)."""

    taxation: TaxSystem = TaxSystem.OSN
    terminals: tuple[str, ...] = ()  # the till's card terminals; () -> the site's one
    bonus_method: str | None = None  # hub.payments method name; None: the only one
    deposit_method: str | None = None
    bonus_as: Literal["discount", "counter_provision"] = "discount"
    internal: dict[str, PaymentKind] = field(factory=dict, converter=_kinds)
    max_change: int = 500000  # a 5000-rouble note: change at least this is a typo
    place: str | None = None  # 1187
    address: str | None = None  # 1009


@frozen(kw_only=True)
class Plan:
    """A check's payment, decided before anything moves (and stored as it is)."""

    key: str
    draft: SaleDraft
    tenders: tuple[Tender, ...]
    receipt: Receipt
    cards: tuple[CardCharge, ...]
    accounts: tuple[AccountCharge, ...]
    bonus_lines: tuple[int, ...]  # bonus spent as a discount on each line (kopecks)
    change: int


@frozen(kw_only=True)
class Paid:
    """A check paid and fiscalised."""

    check_id: str
    document: FiscalDocument
    change: int
    settlement: Settlement


def spread(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` split over ``weights`` in proportion, largest remainder, never more than
    a weight (a line cannot be discounted below zero)."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    amount = min(amount, total)
    shares = [amount * w // total for w in weights]
    rest = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order:
        if rest == 0:
            break
        if shares[i] < weights[i]:
            shares[i] += 1
            rest -= 1
    return shares


def receipt_lines(line: SaleLine, total: int, quantity: Decimal | None = None
                  ) -> list[ReceiptLine]:
    """The 1059 items for ``quantity`` (default: all) of ``line`` costing ``total``.
    1079 is the price after discounts and 1043 must be price x quantity within a kopeck,
    so a total that no whole-kopeck price gives is split in two items: n-1 units at the
    lower price and one unit (0.001 of a measured unit) carrying the rest."""
    q = line.quantity if quantity is None else quantity
    price = int((Decimal(total) / q).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    base: dict[str, Any] = {"name": line.name[:128], "vat": line.vat,
                            "payment_object": line.payment_object, "measure": line.unit,
                            "marking_code": line.marking_code}
    if abs(total - line_total(price, q)) <= LINE_TOLERANCE:
        return [ReceiptLine(price=price, quantity=q, total=total, **base)]
    step = Decimal(1) if q == q.to_integral_value() else UNIT
    head_q = q - step
    head_price = int((Decimal(total) / q).to_integral_value(rounding="ROUND_FLOOR"))
    head_total = line_total(head_price, head_q)
    tail_total = total - head_total
    tail_price = int((Decimal(tail_total) / step).quantize(Decimal(1),
                                                           rounding=ROUND_HALF_UP))
    return [ReceiptLine(price=head_price, quantity=head_q, total=head_total, **base),
            ReceiptLine(price=tail_price, quantity=step, total=tail_total, **base)]


class Payments:
    """Pays checks at one site's tills. Stateless between calls: everything is in the
    store and the core's journal, so a new process resumes what an old one left."""

    def __init__(self, hub: HubAPI, config: PayConfig | None = None) -> None:
        self.hub = hub
        self.config = config or PayConfig()

    # --- planning (pure) ------------------------------------------------------------------
    def plan(self, draft: SaleDraft, tenders: Sequence[Tender], *, key: str,
             now: datetime) -> Plan:
        """Check the tenders against the draft and build the receipt and the charges.
        Raises ``PayError`` saying what is wrong; nothing is stored or charged."""
        cfg = self.config
        if not draft.lines:
            raise PayError("empty")
        for td in tenders:
            if td.base is TenderKind.CARD and cfg.terminals and td.terminal is not None \
                    and td.terminal not in cfg.terminals:
                raise PayError("terminal_unknown", name=td.terminal)
            if td.base is TenderKind.INTERNAL and td.internal_name not in cfg.internal:
                raise PayError("internal_unknown", name=td.internal_name)
        bonus = sum(td.amount for td in tenders if td.base is TenderKind.BONUS)
        if bonus and draft.guest_offline:
            raise PayError("bonus_offline")
        if draft.quote is not None and bonus > draft.quote.bonus_spend_max:
            raise PayError("bonus_too_much", max=draft.quote.bonus_spend_max)
        as_discount = cfg.bonus_as == "discount"
        bonus_lines = spread(bonus, [ln.amount for ln in draft.lines]) if as_discount \
            else [0] * len(draft.lines)
        due = draft.total - sum(bonus_lines)
        non_cash = sum(td.amount for td in tenders if td.base is not TenderKind.CASH
                       and not (as_discount and td.base is TenderKind.BONUS))
        cash = sum(td.amount for td in tenders if td.base is TenderKind.CASH)
        if non_cash > due:
            raise PayError("over_non_cash", paid=non_cash, total=due)
        if cash and non_cash >= due:
            raise PayError("cash_not_needed")
        if non_cash + cash < due:
            raise PayError("underpaid", due=due - non_cash - cash, paid=non_cash + cash,
                           total=due)
        change = non_cash + cash - due
        if change >= cfg.max_change:
            raise PayError("change_too_big", change=change)
        lines = [rl for ln, b in zip(draft.lines, bonus_lines, strict=True)
                 for rl in receipt_lines(ln, ln.amount - b)]
        payments = [ReceiptPayment(kind=k, amount=a) for k, a in self._payments(tenders)]
        receipt = Receipt(
            operation=Operation.SELL, taxation=cfg.taxation, lines=lines, payments=payments,
            total=due, issued_at=now, cashier=Cashier(name=draft.cashier,
                                                      inn=draft.cashier_inn),
            customer_contact=draft.customer_contact, place=cfg.place, address=cfg.address)
        cards = tuple(CardCharge(td.amount, td.terminal or self._terminal())
                      for td in tenders if td.base is TenderKind.CARD)
        accounts = tuple(AccountCharge(td.account or "", td.amount, self.method_for(td))
                         for td in tenders
                         if td.base in (TenderKind.BONUS, TenderKind.DEPOSIT))
        return Plan(key=key, draft=draft, tenders=tuple(tenders), receipt=receipt,
                    cards=cards, accounts=accounts, bonus_lines=tuple(bonus_lines),
                    change=change)

    def _terminal(self) -> str | None:
        return self.config.terminals[0] if self.config.terminals else None

    def method_for(self, td: Tender) -> str | None:
        """The ``hub.payments`` method name of a bonus or deposit tender."""
        return self.config.bonus_method if td.base is TenderKind.BONUS \
            else self.config.deposit_method

    def _payments(self, tenders: Sequence[Tender]) -> list[tuple[PaymentKind, int]]:
        sums: dict[PaymentKind, int] = {}
        for td in tenders:
            kind = self.payment_kind(td)
            if kind is not None:
                sums[kind] = sums.get(kind, 0) + td.amount
        return list(sums.items())

    def payment_kind(self, td: Tender) -> PaymentKind | None:
        """The receipt's payment kind of a tender; None: not a payment (bonus as discount)."""
        match td.base:
            case TenderKind.CASH:
                return PaymentKind.CASH
            case TenderKind.CARD:
                return PaymentKind.ELECTRONIC
            case TenderKind.DEPOSIT:
                return PaymentKind.PREPAID
            case TenderKind.BONUS:
                return None if self.config.bonus_as == "discount" \
                    else PaymentKind.COUNTER_PROVISION
            case _:
                return self.config.internal[td.internal_name or ""]

    # --- paying ---------------------------------------------------------------------------
    async def pay(self, draft: SaleDraft, tenders: Sequence[Tender]) -> Paid:
        """Pay and fiscalise ``draft``. A pending attempt of the same check (after a crash,
        a lost answer, paper out) is resumed if the tenders are the same, refused otherwise.
        ``RetryLater``: the money is held, call again (or ``resume``). ``PayError``: the
        cashier's sentence; nothing stays charged."""
        now = self.hub.clock.now()

        def begin(c: Any) -> tuple[Plan, bool]:
            # one transaction: paid already? resume a pending try? else store try n+1
            a = t.attempt.c
            if c.execute(sa.select(t.sale.c.check_id).where(
                    t.sale.c.check_id == draft.check_id)).first() is not None:
                raise PayError("already_paid")
            rows = c.execute(sa.select(a.status, a.plan).where(
                a.check_id == draft.check_id)).all()
            for status, text in rows:
                if status == "pending":
                    return codec.loads(text, Plan), True
            n = len(rows) + 1
            plan = self.plan(draft, tenders, key=f"pos:{draft.site}:{draft.till}:"
                             f"{draft.check_id}:{n}", now=now)
            c.execute(t.attempt.insert(), {
                "key": plan.key, "check_id": draft.check_id, "site": draft.site,
                "till": draft.till, "n": n, "status": "pending", "plan": codec.dumps(plan),
                "created_at": now, "updated_at": now})
            return plan, False

        # Not fsynced: nothing leaves the till before the journal's durable ``pending`` row
        # of the first call (a receipt is always one), which flushes this commit with it
        plan, resumed = await self.hub.write_sync(begin, durable=False)
        if resumed and (plan.tenders != tuple(tenders) or plan.draft != draft):
            raise PayError("pending_other")
        return await self._run(plan)

    async def resume(self, check_id: str) -> Paid | None:
        """Finish a pending attempt (at start, or when the cashier retries); None if none."""
        pending = await self._pending(check_id)
        return None if pending is None else await self._run(pending)

    async def abandon(self, check_id: str) -> int:
        """Give up a pending attempt whose receipt was NOT made (the register stays out of
        paper, the guest leaves): holds are voided and cards rolled back or cancelled under
        ``settle``'s own undo keys, so this and a late ``settle`` never undo twice. Refused
        while the receipt or a card's outcome is unknown or the receipt exists: ``resume``
        then. Returns how many payments were given back."""
        plan = await self._pending(check_id)
        if plan is None:
            return 0
        j, d, pay = self.hub.journal, plan.draft, self.hub.payments
        receipt = await j.entry(f"{plan.key}:receipt")
        if receipt is not None and receipt.status != "failed":
            raise PayError("receipt_exists")
        entries = [await j.entry(f"{plan.key}:card:{i}") for i in range(len(plan.cards))]
        if any(e is not None and e.status not in ("done", "failed") for e in entries):
            raise PayError("receipt_exists")
        undone = 0
        for i, a in enumerate(plan.accounts):
            e = await j.entry(f"{plan.key}:hold:{i}")
            if e is not None and e.status == "done" and e.result:
                held = codec.loads(e.result, PaymentResult)
                if held.status is PaymentStatus.AUTHORIZED:
                    await pay.void(held.id, key=f"{plan.key}:void:{i}", site=d.site,
                                   station=d.till, method=a.method)
                    undone += 1
        for i, (c, e) in enumerate(zip(plan.cards, entries, strict=True)):
            if e is None or e.status != "done" or not e.result:
                continue
            r = codec.loads(e.result, CardResult)
            if not r.approved:
                continue
            if r.suspended:
                await pay.rollback(r, key=f"{plan.key}:rollback:{i}", site=d.site,
                                   station=d.till, terminal=c.terminal)
            else:
                await pay.cancel(r, key=f"{plan.key}:cancel:{i}", site=d.site,
                                 station=d.till, terminal=c.terminal)
            undone += 1
        await self._finish_attempt(plan.key, "failed", "abandoned")
        return undone

    async def pending(self, site: str, till: str) -> list[str]:
        """Checks of the till whose payment is unfinished (to resume at start)."""
        def q(c: Any) -> list[str]:
            rows = c.execute(sa.select(t.attempt.c.check_id).where(
                t.attempt.c.site == site, t.attempt.c.till == till,
                t.attempt.c.status == "pending").order_by(t.attempt.c.created_at))
            return [r[0] for r in rows]
        return await self.hub.write_sync(q)

    async def _run(self, plan: Plan) -> Paid:
        d = plan.draft
        try:
            settlement = await settle(self.hub, key=plan.key, site=d.site, station=d.till,
                                      receipt=plan.receipt, cards=plan.cards,
                                      accounts=plan.accounts, order_ref=d.check_id)
        except RetryLater:
            raise  # held; the same plan runs again
        except Permanent as exc:
            await self._finish_attempt(plan.key, "failed", str(exc))
            raise PayError("fiscal_failed", reason=exc) from exc
        except UserError as exc:
            await self._finish_attempt(plan.key, "failed", str(exc))
            # the receipt's journal entry exists only if every payment went through
            fiscal = await self.hub.journal.entry(f"{plan.key}:receipt") is not None
            if not fiscal:  # the owners' alert reads as the chats do: Russian
                await self._declined_event(plan, exc.text("ru"))
            code = "fiscal_failed" if fiscal else "declined"
            raise PayError(code, reason=exc) from exc
        await self._store_sale(plan, settlement)
        return Paid(check_id=d.check_id, document=settlement.document, change=plan.change,
                    settlement=settlement)

    async def _declined_event(self, plan: Plan, reason: str) -> None:
        from kassa_pos.kinds import Kind

        d = plan.draft
        await self.hub.emit(Event.of(site=d.site, kind=Kind.PAYMENT_DECLINED,
                                     source_key=f"{plan.key}:declined",
                                     occurred_at=self.hub.clock.now(), station=d.till,
                                     employee=d.cashier, order=str(d.number or d.check_id),
                                     amount=d.total, reason=reason[:200]))

    # --- records --------------------------------------------------------------------------
    async def sale(self, check_id: str) -> dict[str, Any] | None:
        """The stored sale of ``check_id`` (a row of ``pos_pay_sale``) or None."""
        def q(c: Any) -> dict[str, Any] | None:
            row = c.execute(sa.select(t.sale).where(t.sale.c.check_id == check_id)).first()
            return None if row is None else dict(row._mapping)
        return await self.hub.write_sync(q)

    async def _pending(self, check_id: str) -> Plan | None:
        def q(c: Any) -> str | None:
            row = c.execute(sa.select(t.attempt.c.plan).where(
                t.attempt.c.check_id == check_id, t.attempt.c.status == "pending")).first()
            return None if row is None else str(row[0])
        text = await self.hub.write_sync(q)
        return None if text is None else codec.loads(text, Plan)

    async def _finish_attempt(self, key: str, status: str, error: str | None = None) -> None:
        now = self.hub.clock.now()
        await self.hub.write_sync(lambda c: c.execute(
            t.attempt.update().where(t.attempt.c.key == key).values(
                status=status, error=error, updated_at=now)))

    async def _store_sale(self, plan: Plan, s: Settlement) -> None:
        d, doc, now = plan.draft, s.document, self.hub.clock.now()
        cards, accounts, charges = iter(s.cards), iter(s.accounts), iter(plan.cards)
        tenders: list[dict[str, Any]] = []
        left = plan.change  # change comes out of the cash tenders
        for n, td in enumerate(plan.tenders):
            amount, result = td.amount, None
            if td.base is TenderKind.CASH:
                amount, left = amount - min(left, amount), left - min(left, amount)
            elif td.base is TenderKind.CARD:
                result = codec.dumps(next(cards))
                # a refund goes back through the terminal that took it
                td = attrs.evolve(td, terminal=next(charges).terminal)
            elif td.base in (TenderKind.BONUS, TenderKind.DEPOSIT):
                result = codec.dumps(next(accounts))
            tenders.append({"check_id": d.check_id, "n": n, "kind": td.kind,
                            "amount": amount, "refunded": 0, "result": result,
                            "tender": codec.dumps(td)})
        lines = [{"check_id": d.check_id, "line_no": i, "item_code": ln.item_code,
                  "name": ln.name, "quantity": ln.quantity, "returned": Decimal(0),
                  "total": ln.amount - b, "refunded": 0, "bonus": b, "bonus_refunded": 0,
                  "line": codec.dumps(ln)}
                 for i, (ln, b) in enumerate(zip(d.lines, plan.bonus_lines, strict=True))]
        cash_net = sum(int(r["amount"]) for r, td in zip(tenders, plan.tenders, strict=True)
                       if td.base is TenderKind.CASH)

        def write(c: Any) -> None:
            if c.execute(sa.select(t.sale.c.check_id).where(
                    t.sale.c.check_id == d.check_id)).first() is not None:
                return  # a resumed attempt that another call already recorded
            c.execute(t.sale.insert(), {
                "check_id": d.check_id, "key": plan.key, "site": d.site, "till": d.till,
                "shift": doc.shift, "number": d.number, "fn": doc.fn, "fd": doc.number,
                "fiscal_sign": doc.fiscal_sign, "total": plan.receipt.total,
                "change": plan.change, "issued_at": plan.receipt.issued_at,
                "document": codec.dumps(doc), "receipt": codec.dumps(plan.receipt)})
            c.execute(t.sale_line.insert(), lines)
            c.execute(t.tender.insert(), tenders)
            c.execute(t.attempt.update().where(t.attempt.c.key == plan.key).values(
                status="done", updated_at=now))
            shift_no = open_shift_no(c, d.site, d.till)
            c.execute(t.cash.insert(), {
                "key": plan.key, "site": d.site, "till": d.till, "shift": shift_no or 0,
                "kind": "sale", "amount": cash_net,
                "non_cash": plan.receipt.total - cash_net, "at": now})
        # pos_check_closed (the revenue event) is the check book's, when the Till closes
        # the check with this receipt: emitting it here too would count the sale twice.
        # Not fsynced: the close's durable commit right after flushes it. Lost with the
        # power before that, the attempt is pending again and its resume replays the
        # journaled calls (no device is called twice) and stores the sale then
        await self.hub.write_sync(write, durable=False)


def open_shift_no(c: Any, site: str, till: str) -> int | None:
    """The till's open shift (``pos_pay_shift.n``) on a sync connection, None if closed."""
    row = c.execute(sa.select(t.shift.c.n).where(
        t.shift.c.site == site, t.shift.c.till == till,
        t.shift.c.closed_at.is_(None)).order_by(t.shift.c.n.desc())).first()
    return None if row is None else int(row[0])


__all__ = ["Paid", "PayConfig", "PayError", "Payments", "Plan", "open_shift_no",
           "receipt_lines", "spread"]
