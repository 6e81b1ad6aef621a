"""The two FarCards calls answered by the programmes the routes name.

getcardinfoex: ``identify`` the card, ``quote`` the check (when INPBUF has lines), and the
payment account's ``balance`` through ``hub.payments``: the holder, the programme's
discount and points limit, and every account of the guest (Sum2..Sum8).

transactionsex (all or nothing): Kind 0 payments are held on the route's ``AccountPayment``
(every card first), then captured: a method that settles whole checks (the core's optional
``CheckCapture``, e.g. Lime) gets ONE ``capture_check`` for all its cards with the check's
lines, any other one ``capture`` per card; Kind 2 bonuses are ``commit``ted to the programme; Kind 1
and 3 are r_keeper's own (nothing moves). A cancellation batch (the Kind table's opposite
signs) refunds the captures (ONE ``refund_check`` for a method's cards when it gives whole
checks back, the core's optional ``CheckRefund``; else one ``refund`` per card) and
reverses the commit it finds in the journal. Every action goes
through the core's journal under a key made of the check and the card, so a till's retry of
the same batch replays the answers and posts nothing twice. A refusal half-way undoes what
was done (void the holds, refund the captures, reverse the commits) under derived keys.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from attrs import define, field
from kassa import codec
from kassa.errors import RetryLater, UserError
from kassa.journal import OutcomeUnknown
from kassa.model import (
    Guest,
    IdentifierKind,
    Order,
    OrderLine,
    Payment,
    PaymentResult,
    Posting,
    Quote,
)
from kassa.model.money import rubles

from kassa_rkeeper.farcards import wire as fw
from kassa_rkeeper.farcards.limits import Refused
from kassa_rkeeper.farcards.routes import Routes, Target
from kassa_rkeeper.farcards.settings import MAX_CARD, FarCardsSettings
from kassa_rkeeper.farcards.split import split
from kassa_rkeeper.farcards.texts import say

log = logging.getLogger("kassa.rkeeper.farcards")
Undo = Callable[[], Awaitable[Any]]
R = TypeVar("R")


class TillRefusal(Exception):
    """The call is refused as a whole; the text is what the till shows."""


class TillUnsure(TillRefusal):
    """An action's outcome is unknown (sent, no answer): nothing is undone and the check is
    not marked refused, so the same batch again asks the component through the journal and
    finishes what happened; undoing now could void a hold that was captured."""


@define
class Op:
    """One (card, kind, direction) of a batch: the batch's lines of it summed."""

    card: int
    kind: int
    cancel: bool
    amount: int  # kopecks, positive
    target: Target
    guest: Guest
    nums: list[int] = field(factory=list)  # 1-based positions in the batch

    def key(self, check_ref: str, cancel: bool | None = None) -> str:
        c = self.cancel if cancel is None else cancel
        return f"farcards:{check_ref}:{self.card}:{self.kind}" + (":cancel" if c else "")


class Dispatcher:
    def __init__(self, hub: Any, cfg: FarCardsSettings, locale: str = "ru") -> None:
        self.hub, self.cfg, self.locale = hub, cfg, locale
        self._routes: Routes | None = None
        self._started = datetime.now(UTC)  # of the batch being posted (see _replayed)

    @property
    def routes(self) -> Routes:
        if self._routes is None:  # the components exist once the hub has started
            self._routes = Routes(self.hub, self.cfg)
        return self._routes

    def _say(self, key: str, **kw: Any) -> str:
        return say(self.locale, key, **kw)

    async def _identify(self, target: Target, card: int | str) -> Guest | None:
        try:
            guest: Guest | None = await target.program.identify(str(card))
        except UserError as exc:
            raise TillRefusal(self._say("blocked", reason=str(exc))) from None
        except RetryLater:
            raise TillRefusal(self._say("unreachable", program=target.program_name)) from None
        return guest

    # --- getcardinfoex ---------------------------------------------------------------------
    async def card_info(self, q: fw.CardQuery) -> fw.CardInfo:
        target = self.routes.find(q.restaurant, q.card)
        if target is None:
            return fw.CardInfo(result=1)
        try:
            guest = await self._identify(target, q.card)
        except TillRefusal as exc:
            return fw.CardInfo(result=0, locked=True, why_lock=str(exc))
        if guest is None:
            return fw.CardInfo(result=1)
        summa = 0
        if target.payment is not None:
            try:
                summa = await self.hub.payments.balance(str(q.card), site=target.site,
                                                        method=target.payment)
            except (UserError, RetryLater) as exc:
                log.info("FarCards: balance of card %s on %s: %s", q.card, target.payment, exc)
        disc_limit, order = 0, q.order
        if order is not None and order.lines:
            quote: Quote = await target.program.quote(_at(order, target.site), guest)
            disc_limit = quote.discount
            if target.route.limit_by_quote:
                summa = min(summa, quote.bonus_spend_max)
        accounts = list(guest.accounts)[:7]
        sums = [a.available for a in accounts] + [0] * (7 - len(accounts))
        screen = "; ".join(f"{self._say('account_' + str(a.kind))}: {rubles(a.available)}"
                           for a in accounts) or self._say("available", amount=rubles(summa))
        discount = max((target.route.discounts.get(g, 0) for g in guest.groups), default=0)
        return fw.CardInfo(
            result=0, holder=guest.name or (guest.phone or ""), person_id=guest.id,
            account=zlib.crc32(guest.id.encode()), bonus=target.route.bonus_type,
            discount=discount, disc_limit=disc_limit, summa=max(summa, 0), sums=sums,
            dop_info=guest.level or "", scr_message=screen, prn_message=screen)

    # --- findemail, getcardimageex -----------------------------------------------------------
    async def find_email(self, email: str) -> tuple[int, int, str] | None:
        """(Account, CardCode, Name) of the guest with ``email``: each routed programme is
        asked in route order (``identify(email)``: a programme that keeps e-mails knows it),
        and the first guest with a card number a route of that programme serves answers.
        None: nobody knows it. A blocked guest is a refusal with the programme's reason."""
        asked: set[str] = set()
        for route, _, target in self.routes.targets:
            if target.program_name in asked:
                continue
            asked.add(target.program_name)
            guest = await self._identify(target, email)
            if guest is None:
                continue
            for ident in guest.identifiers:
                card = str(ident.value)
                if ident.kind == IdentifierKind.CARD and card.isdigit() \
                        and 0 < int(card) <= MAX_CARD and route.matches(int(card)):
                    return (zlib.crc32(guest.id.encode()), int(card),
                            guest.name or (guest.phone or ""))
        return None

    def card_image(self, card: int) -> str:
        """getcardimageex: the contract carries no card images, so the answer is always the
        protocol's no-image form; its text says whether the card is one we serve at all."""
        if not any(route.matches(card) for route, _, _ in self.routes.targets):
            return self._say("unknown_card", card=card)
        return self._say("no_image", card=card)

    # --- transactionsex --------------------------------------------------------------------
    async def transactions(self, batch: fw.Batch) -> list[tuple[int, str, int]]:
        """Post the batch; (num, ext id, card) per posted transaction. TillRefusal if not."""
        ops = await self._plan(batch)
        if not ops:
            return []
        if len({op.cancel for op in ops}) > 1:
            raise TillRefusal(self._say("mixed"))
        ref = batch.check_ref
        if ops[0].cancel:
            return await self._cancel(ops, ref)
        orders = self._orders(ops, batch.order, ref)
        await self._limits(ops, batch.order, ref)
        undo: dict[str, Undo] = {}  # op key -> what takes back what it did so far
        self._started = datetime.now(UTC)
        posted: list[tuple[int, str, int]] = []
        try:
            holds = [(op, await self._hold(op, ref, undo)) for op in ops
                     if op.kind == fw.KIND_PAYMENT]
            for group in _by_method(holds):
                await self._capture_group(group, ref, batch.order, undo)
                posted += [(n, held.id, op.card) for op, held in group for n in op.nums]
            for op in ops:
                if op.kind == fw.KIND_BONUS:
                    p = await self._commit(op, ref, orders[op.card], undo)
                    posted += [(n, p.id, op.card) for n in op.nums]
        except TillUnsure:
            raise
        except TillRefusal as exc:
            await self._undo(undo, ops, ref)
            if undo:
                await self._mark_refused(ref, str(exc))
            raise
        return sorted(posted)

    async def _plan(self, batch: fw.Batch) -> list[Op]:
        found: dict[tuple[int, int, bool], Op] = {}
        guests: dict[int, tuple[Target, Guest]] = {}
        for num, t in enumerate(batch.items, start=1):
            if t.kind in (fw.KIND_DISCOUNT, fw.KIND_OWN_MONEY) or t.summa == 0:
                continue  # r_keeper's own discount / money: nothing moves in a programme
            if t.card not in guests:
                target = self.routes.find(t.restaurant, t.card)
                guest = await self._identify(target, t.card) if target else None
                if target is None or guest is None:
                    raise TillRefusal(self._say("unknown_card", card=t.card))
                guests[t.card] = (target, guest)
            target, guest = guests[t.card]
            if t.kind == fw.KIND_PAYMENT and target.payment is None:
                raise TillRefusal(self._say("no_payment", card=t.card))
            op = found.setdefault((t.card, t.kind, t.cancel),
                                  Op(t.card, t.kind, t.cancel, 0, target, guest))
            op.amount += abs(t.summa)
            op.nums.append(num)
        return list(found.values())

    def _orders(self, ops: list[Op], order: Order | None, ref: str) -> dict[int, Order]:
        """Each card's part of the check: the lines' shares its payment covered (``split``),
        the check's payments by card and the rest in cash."""
        cards = sorted({op.card for op in ops})
        paid = {c: sum(op.amount for op in ops if op.card == c and op.kind == fw.KIND_PAYMENT)
                for c in cards}
        base = order or Order(site="", number=ref)
        try:
            shares = split([ln.amount for ln in base.lines], [paid[c] for c in cards])
        except Refused as exc:
            raise TillRefusal(str(exc)) from None
        cash = base.total - sum(paid.values())
        payments = tuple(Payment(code=str(c), name=f"card {c}", amount=paid[c], kind="bonus")
                         for c in cards if paid[c]) + \
            ((Payment(code="cash", name="cash", amount=cash, kind="cash"),) if cash > 0 else ())
        out: dict[int, Order] = {}
        for j, c in enumerate(cards):
            site = next(op.target.site for op in ops if op.card == c)
            lines = tuple(OrderLine(code=ln.code, name=ln.name, quantity=ln.quantity,
                                    price=ln.price, amount=shares[j][i], category=ln.category)
                          for i, ln in enumerate(base.lines) if shares[j][i]) \
                if paid[c] else base.lines
            out[c] = Order(site=site, number=base.number or ref, guid=base.guid,
                           guests=base.guests, lines=lines, payments=payments,
                           total=sum(ln.amount for ln in lines))
        return out

    async def _limits(self, ops: list[Op], order: Order | None, ref: str) -> None:
        """Points pay at most what the programme quotes for this check (a retry of a batch
        that posted is not quoted again: what it spent is gone from the balance)."""
        if order is None or not order.lines:
            return
        for op in ops:
            if op.kind == fw.KIND_PAYMENT and op.target.route.limit_by_quote:
                quote: Quote = await op.target.program.quote(_at(order, op.target.site),
                                                              op.guest)
                if op.amount > quote.bonus_spend_max \
                        and await self._captured(op, ref) is None:
                    raise TillRefusal(self._say("spend_over_limit",
                                                limit=rubles(quote.bonus_spend_max)))

    # --- the actions, each through the journal -----------------------------------------------
    async def _pay(self, call: Callable[[], Awaitable[R]]) -> R:
        try:
            return await call()
        except UserError as exc:
            raise TillRefusal(self._say("declined", reason=str(exc))) from None
        except OutcomeUnknown:
            raise TillUnsure(self._say("unsure")) from None
        except RetryLater:
            raise TillRefusal(self._say("later")) from None

    async def _hold(self, op: Op, ref: str, undo: dict[str, Undo]) -> PaymentResult:
        p, key = self.hub.payments, op.key(ref)
        held: PaymentResult = await self._pay(
            lambda: p.hold(str(op.card), op.amount, key=key + ":hold", site=op.target.site,
                           method=op.target.payment))
        await self._replayed(held.created_at, ref)
        undo[key] = lambda: p.void(held.id, key=key + ":refused", site=op.target.site,
                                   method=op.target.payment)
        return held

    async def _capture_group(self, group: list[tuple[Op, PaymentResult]], ref: str,
                             order: Order | None, undo: dict[str, Undo]) -> None:
        """The holds of one method: one check capture if it settles whole checks, else one
        capture per card. Either way each card's undo refunds its hold."""
        p, target = self.hub.payments, group[0][0].target
        if p.captures_checks(target.payment, site=target.site):  # one check for the cards
            lines = list(order.lines) if order is not None else []
            await self._pay(lambda: p.capture_check(
                lines, [(held.id, op.amount) for op, held in group],
                key=check_key(ref, target.payment), site=target.site, method=target.payment))
        whole = p.captures_checks(target.payment, site=target.site)
        for op, held in group:
            key = op.key(ref)
            if not whole:
                await self._pay(partial(p.capture, held.id, None, key=key + ":capture",
                                        site=op.target.site, method=op.target.payment))
            undo[key] = _refunder(p, op, held, key + ":refused")

    async def _captured(self, op: Op, ref: str) -> PaymentResult | None:
        """What the journal recorded as the capture of ``op``'s card in the original batch:
        its own capture, or its part of the method's check capture."""
        own = await self._done(op.key(ref, cancel=False) + ":capture")
        if own is not None and own.result is not None:
            return codec.loads(own.result, PaymentResult)
        hold = await self._done(op.key(ref, cancel=False) + ":hold")
        whole = await self._done(check_key(ref, op.target.payment))
        if hold is None or hold.result is None or whole is None or whole.result is None:
            return None
        held = codec.loads(hold.result, PaymentResult)
        captures = codec.json_loads(whole.request).get("captures", [])
        results = codec.loads(whole.result, list[PaymentResult])
        return next((r for (pid, _), r in zip(captures, results, strict=False)
                     if pid == held.id), None)

    async def _loyalty(self, op: Op, key: str, kind: str, request: Any,
                       call: Callable[[], Awaitable[Posting]]) -> Posting:
        try:
            posting: Posting = await self.hub.journal.run(
                key, component=op.target.program_name, concern="loyalty", kind=kind,
                site=op.target.site, station=None, request=request, call=call,
                lookup=None, result_type=Posting)
        except UserError as exc:
            raise TillRefusal(self._say("declined", reason=str(exc))) from None
        except OutcomeUnknown:
            raise TillUnsure(self._say("unsure")) from None
        except RetryLater:
            raise TillRefusal(self._say("later")) from None
        return posting

    async def _commit(self, op: Op, ref: str, order: Order, undo: dict[str, Undo]) -> Posting:
        key, prog = op.key(ref), op.target.program
        quote = Quote(guest_id=op.guest.id, bonus_earn=op.amount)
        posting = await self._loyalty(
            op, key, "commit", {"card": op.card, "earn": op.amount, "order": order},
            lambda: prog.commit(order, quote, key))
        await self._replayed(posting.created_at, ref)
        undo[key] = lambda: self._loyalty(op, key + ":refused", "reverse", {"of": posting.id},
                                           lambda: prog.reverse(posting, key + ":refused"))
        return posting

    async def _undo(self, undo: dict[str, Undo], ops: list[Op], ref: str) -> None:
        for fn in reversed(list(undo.values())):
            try:
                await fn()
            except Exception:
                log.exception("FarCards: undoing part of refused check %s failed; the journal "
                              "shows which action", ref)

    async def _replayed(self, created: datetime | None, ref: str) -> None:
        """A result older than this request is the journal's replay of an earlier batch of
        the check: if that batch was refused (and undone), refuse this one too. Only then is
        the refusal record read: the usual first attempt pays no extra read."""
        if (created is None or created < self._started) \
                and await self._done(f"farcards:{ref}:refused"):
            raise TillRefusal(self._say("refused_before"))

    async def _mark_refused(self, ref: str, text: str) -> None:
        """A journal record that this check's batch was refused after it had done something
        (and was undone): the same batch again is refused, not replayed."""

        async def refused() -> str:
            return text

        try:
            await self.hub.journal.run(f"farcards:{ref}:refused", component="farcards",
                                       concern="loyalty", kind="refusal", site=None,
                                       station=None, request={"check": ref}, call=refused,
                                       lookup=None, result_type=str)
        except Exception:  # the refusal stands; only its record failed
            log.exception("FarCards: could not record the refusal of check %s", ref)

    async def _done(self, key: str) -> Any:
        entry = await self.hub.journal.entry(key)
        return entry if entry is not None and entry.status == "done" else None

    async def _cancel(self, ops: list[Op], ref: str) -> list[tuple[int, str, int]]:
        """Refund / reverse what the original batch posted; every original is found first."""
        originals: list[tuple[Op, Any]] = []
        refused = await self._done(f"farcards:{ref}:refused")  # undone: nothing to cancel
        for op in ops:
            original: Any = None
            if refused:
                pass
            elif op.kind == fw.KIND_PAYMENT:
                original = await self._captured(op, ref)
            else:
                entry = await self._done(op.key(ref, cancel=False))
                if entry is not None and entry.result is not None:
                    original = codec.loads(entry.result, Posting)
            if original is None:
                raise TillRefusal(self._say("nothing_to_cancel", card=op.card))
            originals.append((op, original))
        posted: list[tuple[int, str, int]] = []
        paid = [(op, original) for op, original in originals if op.kind == fw.KIND_PAYMENT]
        for group in _by_method(paid):
            for op, ext in await self._refund_group(group, ref):
                posted += [(n, ext, op.card) for n in op.nums]
        for op, original in originals:
            if op.kind != fw.KIND_PAYMENT:
                ext = await self._reverse(op, ref, original)
                posted += [(n, ext, op.card) for n in op.nums]
        return sorted(posted)

    async def _refund_group(self, group: list[tuple[Op, PaymentResult]], ref: str
                            ) -> list[tuple[Op, str]]:
        """Give back the captures of one method: ONE check refund for all its cards if it
        gives whole checks back (``CheckRefund``: Lime's one return check), else one refund
        per card. (op, the refund's id) per card."""
        p, target = self.hub.payments, group[0][0].target
        if p.refunds_checks(target.payment, site=target.site):
            done = await self._pay(lambda: p.refund_check(
                [(cap.id, op.amount) for op, cap in group],
                key=refund_key(ref, target.payment), site=target.site, method=target.payment))
            return [(op, r.id) for (op, _), r in zip(group, done, strict=True)]
        out = []
        for op, cap in group:
            key = op.key(ref)
            r = await self._pay(partial(p.refund, cap.id, op.amount, key=key + ":refund",
                                        site=op.target.site, method=op.target.payment))
            out.append((op, r.id))
        return out

    async def _reverse(self, op: Op, ref: str, orig: Posting) -> str:
        key, prog = op.key(ref), op.target.program
        rev = await self._loyalty(op, key, "reverse", {"of": orig.id},
                                  lambda: prog.reverse(orig, key))
        return rev.id


def check_key(ref: str, payment: str | None) -> str:
    """The journal key of a check's capture on one method (``CheckCapture``)."""
    return f"farcards:{ref}:{payment}:capture"


def refund_key(ref: str, payment: str | None) -> str:
    """The journal key of a cancelled check's refund on one method (``CheckRefund``)."""
    return f"farcards:{ref}:{payment}:refund"


def _by_method(holds: list[tuple[Op, PaymentResult]]) -> list[list[tuple[Op, PaymentResult]]]:
    """The holds grouped by (site, payment method), in the order the batch named them."""
    groups: dict[tuple[str, str | None], list[tuple[Op, PaymentResult]]] = {}
    for op, held in holds:
        groups.setdefault((op.target.site, op.target.payment), []).append((op, held))
    return list(groups.values())


def _refunder(p: Any, op: Op, held: PaymentResult, key: str) -> Undo:
    return lambda: p.refund(held.id, op.amount, key=key, site=op.target.site,
                            method=op.target.payment)


def _at(order: Order, site: str) -> Order:
    return order if order.site == site else Order(
        site=site, number=order.number, guid=order.guid, guests=order.guests,
        lines=order.lines, discounts=order.discounts, payments=order.payments,
        total=order.total)
