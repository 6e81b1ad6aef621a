"""The double-entry ledger: earn, spend, a closed check, a till's batch, reversal; with
holds (holds.py) and expiry (expiry.py). How each posting is written: postings.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kassa_bonus import schema
from kassa_bonus.expiry import Expiring
from kassa_bonus.holds import Holds
from kassa_bonus.outcome import Outcome
from kassa_bonus.postings import SYSTEM_ACCOUNTS, A, Expiry, expiry_key, positive
from kassa_bonus.store import BonusStore, LedgerError, new_id


def checkout_params(account_id: str, spend: int, earn: int, expires_at: Expiry, site: str,
                    order_ref: str) -> dict[str, Any]:
    """What a checkout without its client's request is idempotent on (the amounts derived
    from the check; before checks hashed their whole request, every checkout was)."""
    return dict(account=account_id, spend=spend, earn=earn, expires=expiry_key(expires_at),
                site=site, order=order_ref)


class Ledger(Holds, Expiring):
    """Every operation is idempotent on (source, key) and runs in one write transaction."""

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

    async def system_balances(self) -> dict[str, int]:
        """System account code -> balance: the sum of its entries (no row keeps it)."""
        E = schema.entry
        async with self.store.read() as conn:
            sums = dict((await conn.execute(
                select(E.c.account_id, func.sum(E.c.amount))
                .where(E.c.account_id.in_(list(self.system.values())))
                .group_by(E.c.account_id))).all())
        return {code: int(sums.get(i) or 0) for code, i in self.system.items()}

    # --- operations ---------------------------------------------------------------------------
    async def earn(self, source: str, key: str, account_id: str, amount: int, *,
                   expires_at: Expiry = None, site: str = "", order_ref: str = "",
                   promo: str = "", effective_at: datetime | None = None) -> Outcome:
        """Credit points (a lot that expires at ``expires_at``) or money to an account."""
        params = dict(account=account_id, amount=amount, expires=expiry_key(expires_at), site=site,
                      order=order_ref, promo=promo)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "earn", params)
            if isinstance(claimed, Outcome):
                return claimed
            positive(amount)
            acc = await self._lock_credit(conn, account_id, amount)
            kind, pid = await self._credit(conn, claimed, acc, amount, expires_at, applied=True,
                                           site=site, order_ref=order_ref, promo=promo,
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
            positive(amount)
            acc = (await self._lock(conn, [account_id]))[account_id]
            pid = await self._debit(conn, claimed, "spend", acc, amount, site=site,
                                    order_ref=order_ref, effective_at=effective_at)
            return await self._done(conn, claimed, "spend", "posted", acc, amount, [pid])

        return await self.store.run(work)

    async def checkout(self, source: str, key: str, account_id: str, *, spend: int, earn: int,
                       expires_at: Expiry = None, site: str = "", order_ref: str = "",
                       effective_at: datetime | None = None,
                       request: dict[str, Any] | None = None, discount: int = 0) -> Outcome:
        """A closed check: points paid and points earned, one operation (one reversal).
        ``request``: the client's whole request, which the key then stands for (instead of
        the amounts derived from it); ``discount`` is kept for replays."""
        params = request if request is not None else checkout_params(
            account_id, spend, earn, expires_at, site, order_ref)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "checkout", params)
            if isinstance(claimed, Outcome):
                return claimed
            if spend < 0 or earn < 0:
                raise LedgerError("bad_amount", "spend and earn must not be negative")
            acc = (await self._lock(conn, [account_id]))[account_id]
            if acc.currency != "pts":
                raise LedgerError("unknown_account", "checkout needs a bonus account")
            made: list[str] = []
            kw: dict[str, Any] = dict(site=site, order_ref=order_ref, effective_at=effective_at)
            if spend:
                made.append(await self._debit(conn, claimed, "spend", acc, spend, **kw))
            if earn:
                made.append((await self._credit(conn, claimed, acc, earn, expires_at, **kw))[1])
            return await self._done(conn, claimed, "checkout", "posted", acc, earn - spend, made,
                                    detail={"spent": spend, "earned": earn,
                                            "discount": discount})

        return await self.store.run(work)

    async def batch(self, source: str, key: str, items: list[tuple[str, str, int]], *,
                    site: str = "", order_ref: str = "",
                    expires_at: Expiry = None) -> Outcome:
        """All or nothing: ``(op, account, amount)`` with op spend / earn / unspend / unearn;
        the un-ops cancel earlier spends / earns of the same ``order_ref`` (a check cancel)."""
        params = dict(items=[list(i) for i in items], site=site, order=order_ref,
                      expires=expiry_key(expires_at))

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "batch", params)
            if isinstance(claimed, Outcome):
                return claimed
            made: list[str] = []
            kw: dict[str, Any] = dict(site=site, order_ref=order_ref)
            acc = None
            for op, account_id, amount in items:
                positive(amount)
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

