"""Expiry, run by the scheduler: holds past their time are released, and what is left of
each lot past its expiry is voided (what holds reserve stays). Idempotent per lot and day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from kassa_bonus import lots, schema
from kassa_bonus.outcome import Outcome
from kassa_bonus.postings import Books


class Expiring(Books):
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

