"""The double-entry ledger: earn, spend, hold/capture/void, expiry, reversal and refund.

Every balance change goes through ``_post`` (entries sum to zero, or nothing is written) and
every account row change through ``_apply`` (the database's CHECK refuses an overdraft even if
the code above were wrong). Entries are never updated; corrections are reversal postings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from attrs import define
from sqlalchemy import bindparam, select, update

from kassa_bonus import lots, schema
from kassa_bonus.outcome import Outcome
from kassa_bonus.store import BonusStore, LedgerError, new_id

# system accounts: (code, currency); they may go negative (the issuer's side of every posting)
SYSTEM_ACCOUNTS = (("issued", "pts"), ("redeemed", "pts"), ("expired", "pts"),
                   ("writeoff", "pts"), ("deposits", "rub"), ("settlement", "rub"))
SINK = {"pts": "redeemed", "rub": "settlement"}
# when earned points expire: a moment, a lifetime counted from posting time, or never. A
# lifetime keeps replays identical: "365 days" is the same request tomorrow, a moment is not.
Expiry = datetime | timedelta | None
A = schema.account
# The hot path's statements, built once: building and keying a statement per call costs as
# much as running it (parameters bind at execution).
LOCK = (select(A).where(A.c.id.in_(bindparam("ids", expanding=True))).order_by(A.c.id)
        .with_for_update())
MOVE = update(A).where(A.c.id == bindparam("aid")).values(
    balance=A.c.balance + bindparam("delta"), held=A.c.held + bindparam("dheld"),
    earned=A.c.earned + bindparam("dearned"), lock_version=A.c.lock_version + 1)
HOLD_MOVE = update(A).where(A.c.id == bindparam("aid")).values(
    held=A.c.held + bindparam("dheld"), lock_version=A.c.lock_version + 1)
NEW_POSTING, NEW_ENTRIES, NEW_HOLD = (schema.posting.insert(), schema.entry.insert(),
                                      schema.hold.insert())
HOLD = select(schema.hold).where(schema.hold.c.id == bindparam("hid")).with_for_update()
CAPTURED = schema.hold.update().where(schema.hold.c.id == bindparam("hid")).values(
    status="captured", captured=bindparam("take"), capture_posting_id=bindparam("pid"))


@define
class Acc:
    """An account row locked by this transaction, kept current by ``_post`` / ``_apply`` so
    the balance after an operation needs no second read."""

    id: str
    kind: str
    currency: str
    guest_id: str | None
    balance: int
    held: int
    credit_limit: int
    earned: int

    @classmethod
    def of(cls, row: Any) -> Acc:
        return cls(row.id, row.kind, row.currency, row.guest_id, row.balance, row.held,
                   row.credit_limit, row.earned)


class Ledger:
    def __init__(self, store: BonusStore, system: dict[str, str]) -> None:
        self.store = store
        self.system = system  # code -> account id

    @classmethod
    async def open(cls, store: BonusStore) -> Ledger:
        """Make sure the system accounts exist (idempotent) and return a ledger on them."""
        async with store.write() as conn:
            rows = {r.code: r.id for r in await conn.execute(
                select(A.c.code, A.c.id).where(A.c.kind == "system"))}
            for code, currency in SYSTEM_ACCOUNTS:
                if code not in rows:
                    rows[code] = new_id()
                    await conn.execute(A.insert().values(
                        id=rows[code], kind="system", code=code, currency=currency,
                        created_at=store.clock.now()))
        return cls(store, rows)

    # --- reading ------------------------------------------------------------------------------
    async def account(self, account_id: str) -> Any:
        async with self.store.read() as conn:
            row = (await conn.execute(select(A).where(A.c.id == account_id))).first()
        if row is None:
            raise LedgerError("unknown_account", f"no account {account_id}")
        return row

    # --- operations ---------------------------------------------------------------------------
    async def earn(self, source: str, key: str, account_id: str, amount: int, *,
                   expires_at: Expiry = None, site: str = "", order_ref: str = "",
                   promo: str = "", effective_at: datetime | None = None) -> Outcome:
        """Credit points (a lot that expires at ``expires_at``) or money to an account."""
        params = dict(account=account_id, amount=amount, expires=_expiry_key(expires_at), site=site,
                      order=order_ref, promo=promo)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "earn", params)
            if isinstance(claimed, Outcome):
                return claimed
            _positive(amount)
            acc = (await self._lock(conn, [account_id]))[account_id]
            kind, pid = await self._credit(conn, claimed, acc, amount, expires_at, site=site,
                                           order_ref=order_ref, promo=promo,
                                           effective_at=effective_at)
            return await self._done(conn, claimed, kind, "posted", acc, amount, [pid])

        return await self.store.run(work)

    async def spend(self, source: str, key: str, account_id: str, amount: int, *,
                    site: str = "", order_ref: str = "",
                    effective_at: datetime | None = None) -> Outcome:
        """Debit at once (no hold): what ``commit`` uses for points paid at check close."""
        params = dict(account=account_id, amount=amount, site=site, order=order_ref)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "spend", params)
            if isinstance(claimed, Outcome):
                return claimed
            _positive(amount)
            acc = (await self._lock(conn, [account_id]))[account_id]
            pid = await self._debit(conn, claimed, "spend", acc, amount, site=site,
                                    order_ref=order_ref, effective_at=effective_at)
            return await self._done(conn, claimed, "spend", "posted", acc, amount, [pid])

        return await self.store.run(work)

    async def checkout(self, source: str, key: str, account_id: str, *, spend: int, earn: int,
                       expires_at: Expiry = None, site: str = "", order_ref: str = "",
                       effective_at: datetime | None = None) -> Outcome:
        """A closed check: points paid and points earned, one operation (one reversal)."""
        params = dict(account=account_id, spend=spend, earn=earn, expires=_expiry_key(expires_at),
                      site=site, order=order_ref)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "checkout", params)
            if isinstance(claimed, Outcome):
                return claimed
            if spend < 0 or earn < 0:
                raise LedgerError("bad_amount", "spend and earn must not be negative")
            acc = (await self._lock(conn, [account_id]))[account_id]
            if acc.currency != "pts":
                raise LedgerError("unknown_account", "checkout needs a bonus account")
            made, kw = [], dict(site=site, order_ref=order_ref, effective_at=effective_at)
            if spend:
                made.append(await self._debit(conn, claimed, "spend", acc, spend, **kw))
            if earn:
                made.append((await self._credit(conn, claimed, acc, earn, expires_at, **kw))[1])
            return await self._done(conn, claimed, "checkout", "posted", acc, earn - spend, made,
                                    detail={"spent": spend, "earned": earn})

        return await self.store.run(work)

    async def batch(self, source: str, key: str, items: list[tuple[str, str, int]], *,
                    site: str = "", order_ref: str = "",
                    expires_at: Expiry = None) -> Outcome:
        """All or nothing: ``(op, account, amount)`` with op spend / earn / unspend / unearn;
        the un-ops cancel earlier spends / earns of the same ``order_ref`` (a check cancel)."""
        params = dict(items=[list(i) for i in items], site=site, order=order_ref,
                      expires=_expiry_key(expires_at))

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "batch", params)
            if isinstance(claimed, Outcome):
                return claimed
            made, kw = [], dict(site=site, order_ref=order_ref)
            acc = None
            for op, account_id, amount in items:
                _positive(amount)
                acc = (await self._lock(conn, [account_id]))[account_id]
                if op == "spend":
                    made.append(await self._debit(conn, claimed, "spend", acc, amount, **kw))
                elif op == "earn":
                    made.append((await self._credit(conn, claimed, acc, amount, expires_at,
                                                    **kw))[1])
                elif op in ("unspend", "unearn"):
                    made += await self._cancel(conn, claimed, acc, op, amount, site, order_ref)
                else:
                    raise LedgerError("bad_request", f"unknown batch operation {op!r}")
            if acc is None:
                raise LedgerError("bad_request", "an empty batch")
            return await self._done(conn, claimed, "batch", "posted", acc,
                                    sum(i[2] for i in items), made)

        return await self.store.run(work)

    async def _cancel(self, conn: Any, op_id: str, acc: Any, op: str, amount: int, site: str,
                      order_ref: str) -> list[str]:
        kinds = ("spend", "capture") if op == "unspend" else ("earn",)
        P = schema.posting
        rows = (await conn.execute(select(P).where(
            P.c.account_id == acc.id, P.c.site == site, P.c.order_ref == order_ref,
            P.c.kind.in_(kinds), P.c.reversed < P.c.amount).order_by(P.c.created_at.desc()))).all()
        if sum(r.amount - r.reversed for r in rows) < amount:
            raise LedgerError("nothing_to_cancel", f"check {order_ref} has no {amount} to cancel")
        made, left = [], amount
        for r in rows:
            take = min(left, r.amount - r.reversed)
            made.append((await self._reverse_posting(conn, op_id, r, take))[0])
            left -= take
            if not left:
                break
        return made

    async def hold(self, source: str, key: str, account_id: str, amount: int, *,
                   ttl: timedelta = timedelta(minutes=30), site: str = "",
                   order_ref: str = "") -> Outcome:
        """Reserve ``amount``: it stops being available at once; capture, void or expiry
        resolve it."""
        params = dict(account=account_id, amount=amount, ttl=ttl.total_seconds(), site=site,
                      order=order_ref)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "hold", params)
            if isinstance(claimed, Outcome):
                return claimed
            _positive(amount)
            acc = (await self._lock(conn, [account_id]))[account_id]
            _require_available(acc, amount)
            now = self.store.clock.now()
            hold_id = new_id()
            await conn.execute(NEW_HOLD, dict(
                id=hold_id, operation_id=claimed, account_id=account_id, amount=amount,
                site=site, order_ref=order_ref, expires_at=now + ttl, created_at=now))
            await self._apply(conn, acc, held=amount)
            return await self._done(conn, claimed, "hold", "authorized", acc, amount, [],
                                    hold=hold_id)

        return await self.store.run(work)

    async def capture(self, source: str, key: str, hold_id: str,
                      amount: int | None = None) -> Outcome:
        """Post all or part of a pending hold; the remainder is released."""
        params = dict(hold=hold_id, amount=amount)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "capture", params)
            if isinstance(claimed, Outcome):
                return claimed
            h, acc = await self._pending_hold(conn, hold_id)
            take = h.amount if amount is None else amount
            _positive(take)
            if take > h.amount:
                raise LedgerError("exceeds_hold", f"capture {take} exceeds the hold {h.amount}")
            # the hold is released in the same row update that posts the capture
            pid = await self._debit(conn, claimed, "capture", acc, take, release=h.amount,
                                    site=h.site, order_ref=h.order_ref)
            await conn.execute(CAPTURED, dict(hid=hold_id, take=take, pid=pid))
            return await self._done(conn, claimed, "capture", "captured", acc, take, [pid],
                                    hold=hold_id)

        return await self.store.run(work)

    async def void(self, source: str, key: str, hold_id: str) -> Outcome:
        """Release a pending hold without posting anything."""

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "void", {"hold": hold_id})
            if isinstance(claimed, Outcome):
                return claimed
            h, acc = await self._pending_hold(conn, hold_id)
            await self._release(conn, h, acc, "voided")
            return await self._done(conn, claimed, "void", "voided", acc, h.amount, [],
                                    hold=hold_id)

        return await self.store.run(work)

    async def reverse(self, source: str, key: str, operation_id: str) -> Outcome:
        """Undo every posting of an operation (a refunded check): earned points are taken
        back, spent ones restored to the lots they came from. Never twice."""

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "reverse", {"op": operation_id})
            if isinstance(claimed, Outcome):
                return claimed
            originals = sorted((await conn.execute(
                select(schema.posting).where(schema.posting.c.operation_id == operation_id)
                )).all(), key=lambda p: p.kind not in ("spend", "capture"))  # restore first
            if not originals:
                raise LedgerError("unknown_operation", f"no posting for operation {operation_id}")
            if any(p.reversed for p in originals):
                raise LedgerError("already_reversed", f"operation {operation_id} was reversed")
            made, detail = [], {}
            for p in originals:
                pid, kept = await self._reverse_posting(conn, claimed, p, p.amount)
                made.append(pid)
                detail[p.kind] = p.amount
                if kept:
                    detail["unrecovered"] = detail.get("unrecovered", 0) + kept
            acc = (await self._lock(conn, [originals[0].account_id]))[originals[0].account_id]
            return await self._done(conn, claimed, "reverse", "reversed", acc,
                                    sum(p.amount for p in originals), made, detail=detail)

        return await self.store.run(work)

    async def refund(self, source: str, key: str, hold_id: str, amount: int) -> Outcome:
        """Give back part or all of a captured hold (partial refunds add up to at most the
        captured amount; the posting's CHECK enforces it)."""
        params = dict(hold=hold_id, amount=amount)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "refund", params)
            if isinstance(claimed, Outcome):
                return claimed
            _positive(amount)
            h = (await conn.execute(select(schema.hold).where(schema.hold.c.id == hold_id)
                                    .with_for_update())).first()
            if h is None or h.status != "captured":
                raise LedgerError("not_captured", f"hold {hold_id} has nothing captured")
            p = (await conn.execute(select(schema.posting).where(
                schema.posting.c.id == h.capture_posting_id))).one()
            if p.reversed + amount > p.amount:
                raise LedgerError("exceeds_captured",
                                  f"refund {amount} exceeds what is left: {p.amount - p.reversed}")
            pid, _ = await self._reverse_posting(conn, claimed, p, amount, kind="refund")
            acc = (await self._lock(conn, [h.account_id]))[h.account_id]
            return await self._done(conn, claimed, "refund", "refunded", acc, amount, [pid],
                                    hold=hold_id)

        return await self.store.run(work)

    async def expire_holds(self, now: datetime) -> int:
        """Release holds past their time; returns how many."""
        async with self.store.read() as conn:
            due = [r.id for r in await conn.execute(select(schema.hold.c.id).where(
                schema.hold.c.status == "pending", schema.hold.c.expires_at <= now))]
        for hold_id in due:
            async def work(conn: Any, hold_id: str = hold_id) -> None:
                h = (await conn.execute(select(schema.hold).where(schema.hold.c.id == hold_id)
                                        .with_for_update())).first()
                if h.status == "pending":
                    acc = (await self._lock(conn, [h.account_id]))[h.account_id]
                    await self._release(conn, h, acc, "expired")
            await self.store.run(work)
        return len(due)

    async def expire_lots(self, now: datetime) -> list[Outcome]:
        """Void what is left of each lot past its expiry (what holds reserve stays)."""
        async with self.store.read() as conn:
            due = (await conn.execute(select(schema.lot.c.id, schema.lot.c.account_id).where(
                schema.lot.c.remaining > 0, schema.lot.c.expires_at <= now)
                .order_by(schema.lot.c.id))).all()
        done = []
        for lot_id, account_id in due:
            async def work(conn: Any, lot_id: int = lot_id, account_id: str = account_id,
                           ) -> Outcome | None:
                acc = (await self._lock(conn, [account_id]))[account_id]
                row = (await conn.execute(select(schema.lot).where(schema.lot.c.id == lot_id)
                                          )).one()
                take = min(row.remaining, acc.balance - acc.held)
                if take <= 0:
                    return None
                claimed = await self.store.claim(conn, "system", f"expire:{lot_id}:{now}",
                                                 "expire", {"lot": lot_id})
                if isinstance(claimed, Outcome):
                    return None
                pid = await self._post(conn, claimed, "expire", acc,
                                       [(account_id, -take), (self.system["expired"], take)],
                                       effective_at=now)
                await lots.consume(conn, pid, [(lot_id, take)])
                return await self._done(conn, claimed, "expire", "posted", acc, take, [pid],
                                        detail={"lot": lot_id})
            outcome = await self.store.run(work)
            if outcome is not None:
                done.append(outcome)
        return done

    # --- the one path for each fact -------------------------------------------------------------
    async def _lock(self, conn: Any, ids: list[str]) -> dict[str, Acc]:
        """Lock account rows in id order (no deadlocks) and return them."""
        rows = (await conn.execute(LOCK, {"ids": sorted(set(ids))})).all()
        found = {r.id: Acc.of(r) for r in rows}
        for i in ids:
            if i not in found:
                raise LedgerError("unknown_account", f"no account {i}")
        return found

    async def _apply(self, conn: Any, acc: Acc, *, held: int) -> None:
        await conn.execute(HOLD_MOVE, {"aid": acc.id, "dheld": held})
        acc.held += held

    async def _post(self, conn: Any, op_id: str, kind: str, acc: Acc,
                    legs: list[tuple[str, int]], *, site: str = "", order_ref: str = "",
                    promo: str = "", reverses: str | None = None,
                    effective_at: datetime | None = None, amount: int | None = None,
                    held: int = 0, earned: int = 0) -> str:
        """Write one balanced posting; ``acc`` is the guest's account it is about and
        ``amount`` what it moved (default: the guest's leg). ``held`` / ``earned`` change the
        guest's row in the same statement (a released hold, lifetime earned points)."""
        if sum(a for _, a in legs) != 0 or len(legs) < 2:
            raise AssertionError(f"unbalanced posting {legs}")  # fail closed
        gross = amount or sum(a for account_id, a in legs if account_id == acc.id)
        if gross == 0:
            raise AssertionError("a posting must move the guest's account")
        now = self.store.clock.now()
        pid = new_id()
        await conn.execute(NEW_POSTING, dict(
            id=pid, operation_id=op_id, kind=kind, currency=acc.currency, amount=abs(gross),
            reverses_id=reverses, guest_id=acc.guest_id, account_id=acc.id, site=site,
            order_ref=order_ref, promo=promo, effective_at=effective_at or now, created_at=now))
        moved = [(account_id, leg) for account_id, leg in legs if leg]
        await conn.execute(NEW_ENTRIES, [
            dict(posting_id=pid, account_id=i, currency=acc.currency, amount=leg)
            for i, leg in moved])
        rows = {i: dict(aid=i, delta=0, dheld=0, dearned=0) for i, _ in moved}
        rows.setdefault(acc.id, dict(aid=acc.id, delta=0, dheld=0, dearned=0))
        for i, leg in moved:
            rows[i]["delta"] += leg
        rows[acc.id] |= dict(dheld=held, dearned=earned)
        await conn.execute(MOVE, list(rows.values()))
        acc.balance += rows[acc.id]["delta"]
        acc.held += held
        acc.earned += earned
        return pid

    async def _credit(self, conn: Any, op_id: str, acc: Acc, amount: int,
                      expires_at: Expiry, **kw: Any) -> tuple[str, str]:
        if acc.kind == "system":
            raise LedgerError("unknown_account", f"no guest account {acc.id}")
        _positive(amount)
        kind = "earn" if acc.currency == "pts" else "topup"
        source_acc = self.system["issued" if acc.currency == "pts" else "deposits"]
        points = acc.currency == "pts"
        pid = await self._post(conn, op_id, kind, acc, [(source_acc, -amount), (acc.id, amount)],
                               earned=amount if points else 0, **kw)
        if points:
            now = self.store.clock.now()
            if isinstance(expires_at, timedelta):
                expires_at = now + expires_at
            await lots.open_lot(conn, acc.id, pid, amount, expires_at, now)
        return kind, pid

    async def _debit(self, conn: Any, op_id: str, kind: str, acc: Acc, amount: int, *,
                     release: int = 0, **kw: Any) -> str:
        """Take ``amount`` (after releasing a hold of ``release``, same row update)."""
        _require_available(acc, amount, release)
        pid = await self._post(conn, op_id, kind, acc,
                               [(acc.id, -amount), (self.system[SINK[acc.currency]], amount)],
                               held=-release, **kw)
        if acc.currency == "pts":
            await lots.consume(conn, pid, await lots.allocate(conn, acc.id, amount))
        return pid

    async def _reverse_posting(self, conn: Any, op_id: str, p: Any, amount: int,
                               kind: str = "reversal") -> tuple[str, int]:
        """Reverse ``amount`` of posting ``p``; returns (new posting, points not recovered)."""
        await conn.execute(schema.posting.update().where(schema.posting.c.id == p.id)
                           .values(reversed=schema.posting.c.reversed + amount))
        acc = (await self._lock(conn, [p.account_id]))[p.account_id]
        legs = [(e.account_id, e.amount) for e in await conn.execute(
            select(schema.entry.c.account_id, schema.entry.c.amount)
            .where(schema.entry.c.posting_id == p.id))]
        guest_leg = sum(a for i, a in legs if i == acc.id)
        other = next(i for i, _ in legs if i != acc.id)
        kw = dict(site=p.site, order_ref=p.order_ref, promo=p.promo, reverses=p.id)
        if guest_leg < 0:  # a spend: give the points / money back to where they came from
            pid = await self._post(conn, op_id, kind, acc, [(acc.id, amount), (other, -amount)],
                                   **kw)
            if acc.currency == "pts":
                await lots.restore(conn, pid, p.id, amount)
            return pid, 0
        # an earn / top-up: take it back; points already spent are written off, money is not
        available = acc.balance - acc.held
        if acc.currency == "rub":
            _require_available(acc, amount)
        recovered = min(amount, max(available, 0))
        new = [(acc.id, -recovered), (other, amount)]
        if recovered < amount:
            new.append((self.system["writeoff"], recovered - amount))
        points = acc.currency == "pts"
        pid = await self._post(conn, op_id, kind, acc, new, amount=amount,
                               earned=-amount if points else 0, **kw)
        if points and recovered:
            await lots.consume(conn, pid, await lots.allocate(conn, acc.id, recovered,
                                                               prefer_posting=p.id))
        return pid, amount - recovered

    async def _pending_hold(self, conn: Any, hold_id: str) -> tuple[Any, Any]:
        h = (await conn.execute(HOLD, {"hid": hold_id})).first()
        if h is None:
            raise LedgerError("unknown_hold", f"no hold {hold_id}")
        acc = (await self._lock(conn, [h.account_id]))[h.account_id]
        if h.status != "pending":
            raise LedgerError(f"hold_{h.status}", f"hold {hold_id} is already {h.status}")
        if h.expires_at <= self.store.clock.now():
            raise LedgerError("hold_expired", f"hold {hold_id} has expired")
        return h, acc

    async def _release(self, conn: Any, h: Any, acc: Acc, status: str) -> None:
        await conn.execute(schema.hold.update().where(schema.hold.c.id == h.id)
                           .values(status=status))
        await self._apply(conn, acc, held=-h.amount)

    async def _done(self, conn: Any, op_id: str, kind: str, status: str, acc: Acc, amount: int,
                    postings: list[str], *, hold: str | None = None,
                    detail: dict[str, Any] | None = None) -> Outcome:
        return await self.store.settle(conn, Outcome(
            operation=op_id, kind=kind, status=status, account=acc.id, amount=amount,
            guest=acc.guest_id or "", postings=tuple(postings), hold=hold, balance=acc.balance,
            detail=detail or {}, at=self.store.clock.now()))


def _expiry_key(expires: Expiry) -> str | None:
    if isinstance(expires, timedelta):
        return f"+{expires.total_seconds():g}s"
    return expires.isoformat() if expires else None


def _positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError("bad_amount", f"amount must be a positive integer, got {amount!r}")


def _require_available(acc: Acc, amount: int, release: int = 0) -> None:
    if acc.kind == "system":
        raise LedgerError("unknown_account", f"no guest account {acc.id}")
    available = acc.balance - (acc.held - release) + acc.credit_limit
    if available < amount:
        raise LedgerError("insufficient_funds",
                          f"not enough on the account: {available} available, {amount} asked")
