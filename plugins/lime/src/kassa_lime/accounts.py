"""``AccountPayment`` over Lime's rights: hold here, capture = a check put to Lime.

Lime shows no hold call in public code [rkeeper.md §4], so a hold is ours: the card's
rights are read from Lime (GetCardInfo), what open holds reserve is taken off, and the
reservation is kept on disk. A capture (or ``capture_check``, several holds at once with
the check's lines: the core's optional ``CheckCapture``; ``refund_check`` gives them back
in one return check: ``CheckRefund``) commits its record and the check
to put in one transaction, then tries to deliver it; a check Lime cannot take now waits in
the outbox and goes when Lime returns, under the same Lime check id, so it is put once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import anyio
from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.i18n import t
from kassa.journal import Journal
from kassa.model import OrderLine, PaymentResult, PaymentStatus

from kassa_lime import split
from kassa_lime.check import CardInfo, Check, Line, Share, Source
from kassa_lime.client import LimeAuthFailed, LimeClient, LimeUnreachable
from kassa_lime.delivery import Delivery
from kassa_lime.kinds import Kind
from kassa_lime.mapping import lines_for, payment_line
from kassa_lime.settings import LimeSettings
from kassa_lime.store import LimeStore, utc

log = logging.getLogger("kassa.lime")
CHECK_KINDS = ("capture_check", "refund_check")  # records whose result is a list
Alert = Callable[[Kind, str, dict[str, Any]], Awaitable[None]]


class LimeAccounts:
    """The Lime payment method. ``account`` is a card's UID, or ``UID#rightId`` to pay from
    one right only."""

    def __init__(self, settings: LimeSettings, client: LimeClient, store: LimeStore, *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 alert: Alert | None = None, locale: str = "ru",
                 journal: Journal | None = None, site: str | None = None) -> None:
        self.name = settings.name
        self.settings, self.client, self.store = settings, client, store
        self.now, self.locale = now, locale
        self.delivery = Delivery(settings, client, store, now=now, alert=alert,
                                 journal=journal, site=site, locale=locale)
        self.alert = alert
        self.drop_answers = 0  # the contract's probe: act, then lose the answer
        self.drop_answer_to = ""  # the same for the next call of this kind only ("capture")

    # --- Lime, read -----------------------------------------------------------------------
    async def card(self, uid: str) -> CardInfo:
        """The card from Lime; ``RetryLater`` (the till shows "Lime недоступен") when Lime
        does not answer within the till's timeout."""
        try:
            with anyio.fail_after(self.settings.timeout):
                info = await self.client.card_info(self.settings.installation_id, uid=uid)
        except (LimeUnreachable, TimeoutError) as exc:
            await self.delivery.down(str(exc))
            raise RetryLater(t("lime.unavailable", self.locale),
                             after=self.settings.retry_seconds) from None
        except LimeAuthFailed as exc:
            raise Permanent(t("lime.auth", self.locale)) from exc
        if info is None:
            raise UserError(t("lime.unknown_card", self.locale))
        await self.delivery.up()
        return info

    def lapsed_before(self, at: datetime) -> datetime:
        return at - timedelta(minutes=self.settings.hold_minutes)

    def _split_account(self, account: str) -> tuple[str, int | None]:
        uid, _, right = account.partition("#")
        return uid.strip(), int(right) if right.strip().isdigit() else None

    def available(self, info: CardInfo, only: int | None = None) -> list[tuple[Any, int]]:
        """(right, spendable) in the order Lime lists them, less what holds reserve."""
        at = self.now()
        held = self.store.held(info.id, self.lapsed_before(at))
        return [((r.id, r.name), r.amount - held.get(r.id, 0)) for r in info.rights
                if r.usable(at) and (only is None or r.id == only)
                and r.amount - held.get(r.id, 0) > 0]

    async def balance(self, account: str) -> int:
        uid, only = self._split_account(account)
        return sum(a for _, a in self.available(await self.card(uid), only))

    # --- the contract ---------------------------------------------------------------------
    def _lose(self, kind: str) -> None:
        if self.drop_answer_to == kind:
            self.drop_answer_to = ""
            raise ConnectionResetError(f"{kind}: answer lost (test probe)")
        if self.drop_answers:
            self.drop_answers -= 1
            raise ConnectionResetError("answer lost (test probe)")

    def _declined(self, amount: int, key: str, message: str) -> PaymentResult:
        return PaymentResult(id="", status=PaymentStatus.DECLINED, amount=amount, key=key,
                             message=message)

    async def hold(self, account: str, amount: int, key: str) -> PaymentResult:
        if amount <= 0:
            raise UserError(t("lime.bad_amount", self.locale))
        uid, only = self._split_account(account)
        try:
            info = await self.card(uid)
        except UserError as exc:
            return self._declined(amount, key, str(exc))
        at = self.now()
        hold_id = f"lh-{uuid.uuid4().hex[:16]}"
        with self.store.tx() as db:  # read and reserve under the writer's lock
            free = self.available(info, only)
            if sum(a for _, a in free) < amount:
                return self._declined(amount, key, t("lime.insufficient", self.locale))
            parts = [[rid, name, a] for (rid, name), a in split.allocate(amount, free)]
            result = PaymentResult(id=hold_id, status=PaymentStatus.AUTHORIZED, amount=amount,
                                   key=key, created_at=at)
            db.execute("INSERT INTO holds(id, card_uid, card_id, holder, parts, amount, "
                       "status, created_at) VALUES (?,?,?,?,?,?,'authorized',?)",
                       (hold_id, info.uid, info.id, info.holder, codec.json_dumps(parts),
                        amount, utc(at)))
            self.store.record(db, key, "hold", result, at)
        self._lose("hold")
        return result

    def _hold(self, payment_id: str, status: str = "authorized") -> Any:
        row = self.store.hold(payment_id)
        if row is None:
            raise UserError(t("lime.no_hold", self.locale, id=payment_id))
        if row["status"] != status:
            raise UserError(t("lime.not_held", self.locale, id=payment_id,
                              status=t(f"lime.status.{row['status']}", self.locale)))
        if status == "authorized" and \
                datetime.fromisoformat(row["created_at"]) < self.lapsed_before(self.now()):
            raise UserError(t("lime.hold_lapsed", self.locale, id=payment_id))
        return row

    async def capture(self, payment_id: str, amount: int | None, key: str) -> PaymentResult:
        """Take the hold (all or part): a check of one payment line, put to Lime."""
        row = self._hold(payment_id)
        take = row["amount"] if amount is None else amount
        if not 0 < take <= row["amount"]:
            raise UserError(t("lime.capture_over", self.locale))
        line = payment_line(self.settings, take)
        return (await self._put([line], [(payment_id, take)], key, whole=False))[0]

    async def capture_check(self, lines: Sequence[OrderLine],
                            captures: Sequence[tuple[str, int]], *, key: str
                            ) -> list[PaymentResult]:
        """Capture several holds (cards) in ONE check whose entries are the order's lines,
        each paid by the holds' rights in turn (``split.spread``); what the holds do not
        cover is the till's other tenders. One ``CAPTURED`` result per hold, in order. No
        lines (the till sent none): one payment line of what the holds take."""
        if not captures:
            raise UserError(t("lime.no_captures", self.locale))
        if len({pid for pid, _ in captures}) != len(captures):
            raise UserError(t("lime.twice", self.locale))
        if not lines:
            lines = [payment_line(self.settings, sum(a for _, a in captures))]
        return await self._put(lines, captures, key, whole=True)

    async def lookup_check(self, key: str) -> list[PaymentResult] | None:
        found = self.store.op_of(key)
        if found is None:
            return None
        kind, text = found
        if kind not in CHECK_KINDS:
            raise UserError(t("lime.key_kind", self.locale, which=key, kind=kind))
        return codec.loads(text, list[PaymentResult])

    async def _put(self, lines: Sequence[OrderLine], payments: Sequence[tuple[str, int]],
                   key: str, *, whole: bool) -> list[PaymentResult]:
        """One check for the holds; recorded under ``key`` as the list (``whole``) or as
        the one capture's result."""
        rows = [(self._hold(pid), amount) for pid, amount in payments]
        sources: list[tuple[Source, int]] = []
        for row, amount in rows:
            if not 0 < amount <= row["amount"]:
                raise UserError(t("lime.capture_over", self.locale))
            have = [((int(rid), str(rname)), int(a))
                    for rid, rname, a in codec.json_loads(row["parts"])]
            for (rid, rname), a in split.allocate(amount, have):
                sources.append((Source(card_id=row["card_id"], card_uid=row["card_uid"],
                                       holder=row["holder"], right_id=rid, right_name=rname),
                                a))
        base = lines_for(self.settings, lines)
        try:
            per_line = split.spread([ln.total for ln in base], sources)
        except ValueError:
            raise UserError(t("lime.line_sum", self.locale)) from None
        at = self.now()
        check_lines = []
        for ln, paid in zip(base, per_line, strict=True):
            shares = [Share(source=s, amount=a) for s, a in paid]
            rest = ln.total - sum(a for _, a in paid)
            if rest:
                shares.append(Share(source=Source(), amount=rest))
            check_lines.append(Line(name=ln.name, good_type_id=ln.good_type_id, units=ln.units,
                                    base_price=ln.base_price, price=ln.price, shares=shares))
        check = Check(number=0, time=at, lines=check_lines)
        results: list[PaymentResult] = []
        with self.store.tx() as db:
            check_id = self.store.enqueue(db, key, check, at)
            for row, amount in rows:
                result = PaymentResult(id=row["id"], status=PaymentStatus.CAPTURED,
                                       amount=amount, key=key, created_at=at)
                cur = db.execute("UPDATE holds SET status='captured', captured=?, check_id=? "
                                 "WHERE id=? AND status='authorized'",
                                 (amount, check_id, row["id"]))
                if cur.rowcount != 1:  # taken meanwhile by another call: nothing of this one
                    raise UserError(t("lime.not_held", self.locale, id=row["id"],
                                      status=t("lime.status.captured", self.locale)))
                results.append(result)
            if whole:
                self.store.record(db, key, "capture_check", results, at)
            else:
                self.store.record(db, key, "capture", results[0], at)
        self._lose("capture")
        await self.delivery.try_now()
        return results

    async def void(self, payment_id: str, key: str) -> PaymentResult:
        row = self._hold(payment_id)
        at = self.now()
        result = PaymentResult(id=payment_id, status=PaymentStatus.VOIDED, amount=row["amount"],
                               key=key, created_at=at)
        with self.store.tx() as db:
            cur = db.execute("UPDATE holds SET status='voided' WHERE id=? AND "
                             "status='authorized'", (payment_id,))
            if cur.rowcount != 1:
                raise UserError(t("lime.not_held", self.locale, id=payment_id,
                                  status=t("lime.status.captured", self.locale)))
            self.store.record(db, key, "void", result, at)
        self._lose("void")
        return result

    async def refund(self, payment_id: str, amount: int, key: str) -> PaymentResult:
        """Give back part of a capture: a return check (type 1) whose entries give back the
        sold entries this hold paid, in proportion, to the same rights."""
        return (await self._return([(payment_id, amount)], key, whole=False))[0]

    async def refund_check(self, refunds: Sequence[tuple[str, int]], *, key: str
                           ) -> list[PaymentResult]:
        """Give back several holds of ONE sale check (the core's ``CheckRefund``) in ONE
        return check: per sold entry one return entry, paid back to every right that paid
        it, each hold's amount prorated over the entries its card paid. A whole entry goes
        back as sold; a part of one as one unit priced at that part. One ``REFUNDED``
        result per refund, in order."""
        if not refunds:
            raise UserError(t("lime.no_captures", self.locale))
        if len({pid for pid, _ in refunds}) != len(refunds):
            raise UserError(t("lime.twice", self.locale))
        return await self._return(refunds, key, whole=True)

    async def _return(self, refunds: Sequence[tuple[str, int]], key: str, *, whole: bool
                      ) -> list[PaymentResult]:
        """One return check for ``refunds`` of holds captured in one sale check; recorded
        under ``key`` as the list (``whole``: ``refund_check``) or as the one result."""
        rows = [(self._hold(pid, "captured"), amount) for pid, amount in refunds]
        for row, amount in rows:
            if not 0 < amount <= row["captured"] - row["refunded"]:
                raise UserError(t("lime.refund_over", self.locale))
        if len({row["check_id"] for row, _ in rows}) != 1:
            raise UserError(t("lime.refund_checks", self.locale))
        original = self.store.check_row(rows[0][0]["check_id"])
        assert original is not None
        sold = codec.loads(original["check_json"], Check)
        # per card: what its holds give back, prorated over the shares the card paid (two
        # holds of one card in one check paid its shares together)
        per_card: dict[str, int] = {}
        for row, amount in rows:
            per_card[row["card_uid"]] = per_card.get(row["card_uid"], 0) + amount
        # what earlier returns gave back of each (entry, right): a share gives back at most
        # what is left of it, so partial returns add up to the sale exactly
        given: dict[tuple[int, str, int], int] = {}
        for ret in self.store.returns_of(int(original["id"])):
            for ln in ret.lines:
                for s in ln.shares:
                    k = (ln.returns_entry or 0, s.source.card_uid, s.source.right_id)
                    given[k] = given.get(k, 0) + s.amount
        back: dict[int, list[Share]] = {}  # sold entry (1-based) -> what goes back to whom
        for uid, amount in per_card.items():
            mine = []
            for n, ln in enumerate(sold.lines, start=1):
                for s in ln.shares:
                    if s.source.card_uid == uid and s.source.right_id:
                        k = (n, uid, s.source.right_id)
                        done = min(given.get(k, 0), s.amount)
                        given[k] = given.get(k, 0) - done  # a right twice in one entry
                        mine.append((n, s, s.amount - done))
            if amount > sum(left for _, _, left in mine):
                raise UserError(t("lime.refund_over", self.locale))
            parts = split.prorate(amount, [left for _, _, left in mine])
            for (n, s, _), part in zip(mine, parts, strict=True):
                if part:
                    back.setdefault(n, []).append(Share(source=s.source, amount=part))
        lines = []
        for n in sorted(back):
            ln, shares = sold.lines[n - 1], back[n]
            total = sum(s.amount for s in shares)
            # the whole entry back as sold; else one unit of what is given back
            units, price = (ln.units, ln.price) if total == ln.total else (Decimal(1), total)
            lines.append(Line(name=ln.name, good_type_id=ln.good_type_id, units=units,
                              base_price=max(price, ln.base_price), price=price,
                              shares=shares, returns_entry=n))
        at = self.now()
        check = Check(number=0, time=at, lines=lines, refund=True)
        results = [PaymentResult(id=row["id"], status=PaymentStatus.REFUNDED, amount=amount,
                                 key=key, created_at=at) for row, amount in rows]
        with self.store.tx() as db:
            for row, amount in rows:
                cur = db.execute("UPDATE holds SET refunded=refunded+? WHERE id=? AND "
                                 "captured-refunded>=?", (amount, row["id"], amount))
                if cur.rowcount != 1:  # another refund got there first: nothing of this one
                    raise UserError(t("lime.refund_over", self.locale))
            self.store.enqueue(db, key, check, at, returns=int(original["id"]))
            if whole:
                self.store.record(db, key, "refund_check", results, at)
            else:
                self.store.record(db, key, "refund", results[0], at)
        self._lose("refund")
        await self.delivery.try_now()
        return results

    async def lookup(self, key: str) -> PaymentResult | None:
        found = self.store.op_of(key)
        if found is None:
            return None
        kind, text = found
        if kind in CHECK_KINDS:  # asked by a check's key: its first hold's result
            return codec.loads(text, list[PaymentResult])[0]
        return codec.loads(text, PaymentResult)

    def effects(self) -> int:
        """Checks in the outbox (for the contract suites' probe)."""
        return len(self.store.checks())
