"""Holds: reserve at once, then capture (all or part; the rest is released), void, refund
what was captured, or let the hold expire. Resolving a hold twice is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kassa_bonus import schema
from kassa_bonus.outcome import Outcome
from kassa_bonus.postings import CAPTURED, NEW_HOLD, Books, positive
from kassa_bonus.store import LedgerError, new_id


class Holds(Books):
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
            positive(amount)
            acc = await self._reserve(conn, account_id, amount)
            now = self.store.clock.now()
            hold_id = new_id()
            await conn.execute(NEW_HOLD, dict(
                id=hold_id, operation_id=claimed, account_id=account_id, amount=amount,
                site=site, order_ref=order_ref, expires_at=now + ttl, created_at=now))
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
            positive(take)
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

    async def refund(self, source: str, key: str, hold_id: str, amount: int) -> Outcome:
        """Give back part or all of a captured hold (partial refunds add up to at most the
        captured amount; the posting's CHECK enforces it)."""
        params = dict(hold=hold_id, amount=amount)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "refund", params)
            if isinstance(claimed, Outcome):
                return claimed
            positive(amount)
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

