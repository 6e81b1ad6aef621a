"""How a posting is written: the one path for each fact the ledger records.

Every balance change goes through ``_post`` (entries sum to zero, or nothing is written) and
every account row change through ``_post`` / ``_apply`` (the database's CHECK refuses an
overdraft even if the code above were wrong). Entries are never updated; corrections are
reversal postings. ``Ledger`` (ledger.py), ``Holds`` (holds.py) and ``Expiring`` (expiry.py)
build the operations from these steps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from attrs import define
from sqlalchemy import bindparam, case, select, update

from kassa_bonus import lots, schema
from kassa_bonus.outcome import Outcome
from kassa_bonus.store import BonusStore, LedgerError, new_id

# system accounts: (code, currency); they may go negative (the issuer's side of every posting).
# Their balance is the sum of their entries (``system_balances``); their row's is always 0.
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
ACC_COLS = (A.c.id, A.c.kind, A.c.currency, A.c.guest_id, A.c.balance, A.c.held,
            A.c.credit_limit, A.c.earned)
# check and move in one statement, the row locked by it (the statement before a hold's or an
# earn's posting): no row back = unknown, a system account, or (RESERVE) not enough available
RESERVE = update(A).where(
    A.c.id == bindparam("aid"), A.c.kind != "system",
    A.c.balance - A.c.held + A.c.credit_limit >= bindparam("amount")).values(
    held=A.c.held + bindparam("amount"), lock_version=A.c.lock_version + 1).returning(*ACC_COLS)
CREDIT = update(A).where(A.c.id == bindparam("aid"), A.c.kind != "system").values(
    balance=A.c.balance + bindparam("amount"),
    earned=A.c.earned + case((A.c.currency == "pts", bindparam("amount")), else_=0),
    lock_version=A.c.lock_version + 1).returning(*ACC_COLS)
# capture / void: the hold and its account in one read, both rows locked (PostgreSQL)
HOLD_AND_ACCOUNT = (select(schema.hold, *(c.label(f"acc_{c.name}") for c in ACC_COLS))
                    .join(A, A.c.id == schema.hold.c.account_id)
                    .where(schema.hold.c.id == bindparam("hid")).with_for_update())
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
    def of(cls, row: Any, prefix: str = "") -> Acc:
        return cls(*(getattr(row, prefix + c.name) for c in ACC_COLS))


class Books:
    """The ledger's internals over one store and its system accounts (code -> id)."""

    def __init__(self, store: BonusStore, system: dict[str, str]) -> None:
        self.store = store
        self.system = system
        self.system_ids = frozenset(system.values())

    async def _lock(self, conn: Any, ids: list[str]) -> dict[str, Acc]:
        """Lock account rows in id order (no deadlocks) and return them."""
        rows = (await conn.execute(LOCK, {"ids": sorted(set(ids))})).all()
        found = {r.id: Acc.of(r) for r in rows}
        for i in ids:
            if i not in found:
                raise LedgerError("unknown_account", f"no account {i}")
        return found

    async def _reserve(self, conn: Any, account_id: str, amount: int) -> Acc:
        """Hold ``amount`` on the account: check and reserve in one conditional update."""
        row = (await conn.execute(RESERVE, {"aid": account_id, "amount": amount})).first()
        if row is not None:
            return Acc.of(row)
        # refused: say why, from the row (locked now); if a release freed enough since, hold
        acc = (await self._lock(conn, [account_id]))[account_id]
        require_available(acc, amount)
        await self._apply(conn, acc, held=amount)
        return acc

    async def _lock_credit(self, conn: Any, account_id: str, amount: int) -> Acc:
        """Lock a guest's account and credit ``amount`` to it in one statement (lifetime
        earned too, for points); the posting follows with ``applied=True``."""
        row = (await conn.execute(CREDIT, {"aid": account_id, "amount": amount})).first()
        if row is None:
            raise LedgerError("unknown_account", f"no guest account {account_id}")
        return Acc.of(row)

    async def _apply(self, conn: Any, acc: Acc, *, held: int) -> None:
        await conn.execute(HOLD_MOVE, {"aid": acc.id, "dheld": held})
        acc.held += held

    async def _post(self, conn: Any, op_id: str, kind: str, acc: Acc,
                    legs: list[tuple[str, int]], *, site: str = "", order_ref: str = "",
                    promo: str = "", reverses: str | None = None,
                    effective_at: datetime | None = None, amount: int | None = None,
                    held: int = 0, earned: int = 0, applied: bool = False) -> str:
        """Write one balanced posting; ``acc`` is the guest's account it is about and
        ``amount`` what it moved (default: the guest's leg). ``held`` / ``earned`` change the
        guest's row in the same statement (a released hold, lifetime earned points).
        ``applied``: the statement that locked the guest's row already moved it by its leg
        (``_lock_credit``); ``acc`` is that row after the move."""
        if sum(a for _, a in legs) != 0 or len(legs) < 2:
            raise AssertionError(f"unbalanced posting {legs}")  # fail closed
        if applied and (held or earned):
            raise AssertionError("an applied posting cannot change held / earned")
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
        # only customer rows carry a running balance: a system account's balance is the sum
        # of its entries, so no posting updates (and, on PostgreSQL, holds until its commit)
        # the `issued` / `redeemed` row every other posting needs too
        rows: dict[str, dict[str, Any]] = {} if applied else {
            acc.id: dict(aid=acc.id, delta=0, dheld=held, dearned=earned)}
        for i, leg in moved:
            if i not in self.system_ids and not (applied and i == acc.id):
                rows.setdefault(i, dict(aid=i, delta=0, dheld=0, dearned=0))["delta"] += leg
        if rows:
            await conn.execute(MOVE, list(rows.values()))
        if not applied:
            acc.balance += rows[acc.id]["delta"]
            acc.held += held
            acc.earned += earned
        return pid

    async def _credit(self, conn: Any, op_id: str, acc: Acc, amount: int,
                      expires_at: Expiry, *, applied: bool = False, **kw: Any
                      ) -> tuple[str, str]:
        if acc.kind == "system":
            raise LedgerError("unknown_account", f"no guest account {acc.id}")
        positive(amount)
        kind = "earn" if acc.currency == "pts" else "topup"
        source_acc = self.system["issued" if acc.currency == "pts" else "deposits"]
        points = acc.currency == "pts"
        pid = await self._post(conn, op_id, kind, acc, [(source_acc, -amount), (acc.id, amount)],
                               earned=amount if points and not applied else 0, applied=applied,
                               **kw)
        if points:
            now = self.store.clock.now()
            at = now + expires_at if isinstance(expires_at, timedelta) else expires_at
            await lots.open_lot(conn, acc.id, pid, amount, at, now)
        return kind, pid

    async def _debit(self, conn: Any, op_id: str, kind: str, acc: Acc, amount: int, *,
                     release: int = 0, **kw: Any) -> str:
        """Take ``amount`` (after releasing a hold of ``release``, same row update)."""
        require_available(acc, amount, release)
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
            require_available(acc, amount)
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

    async def _pending_hold(self, conn: Any, hold_id: str) -> tuple[Any, Acc]:
        h = (await conn.execute(HOLD_AND_ACCOUNT, {"hid": hold_id})).first()
        if h is None:
            raise LedgerError("unknown_hold", f"no hold {hold_id}")
        acc = Acc.of(h, "acc_")
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


def expiry_key(expires: Expiry) -> str | None:
    if isinstance(expires, timedelta):
        return f"+{expires.total_seconds():g}s"
    return expires.isoformat() if expires else None


MAX_AMOUNT = 10**13  # one posting's ceiling (kopecks/hundredths); the database allows
# balances up to schema.MAX_BALANCE, so no sum of postings leaves 64-bit integers


def positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError("bad_amount", f"amount must be a positive integer, got {amount!r}")
    if amount > MAX_AMOUNT:
        raise LedgerError("bad_amount", f"amount {amount} is over the ledger's limit of "
                          f"{MAX_AMOUNT} per posting")


def require_available(acc: Acc, amount: int, release: int = 0) -> None:
    if acc.kind == "system":
        raise LedgerError("unknown_account", f"no guest account {acc.id}")
    available = acc.balance - (acc.held - release) + acc.credit_limit
    if available < amount:
        raise LedgerError("insufficient_funds",
                          f"not enough on the account: {available} available, {amount} asked")
