"""Bonus lots: every credit of points is a lot with its own expiry; every debit is allocated to
lots oldest-expiry-first, so expiry voids only what is left of a lot and a refund gives points
back to the very lots they came from (the FloCafe / Odoo balance-collapse bug cannot happen).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kassa_bonus import schema

L, U, P = schema.lot, schema.lot_use, schema.posting


async def open_lot(conn: Any, account_id: str, posting_id: str, amount: int,
                   expires_at: datetime | None, now: datetime) -> None:
    await conn.execute(L.insert().values(account_id=account_id, posting_id=posting_id,
                                         amount=amount, remaining=amount, expires_at=expires_at,
                                         created_at=now))


async def allocate(conn: Any, account_id: str, amount: int, *,
                   prefer_posting: str | None = None) -> list[tuple[int, int]]:
    """Which lots pay ``amount``: the preferred posting's lot first (an earn being taken
    back), then the soonest to expire; lots that never expire last."""
    order = [L.c.expires_at.is_(None), L.c.expires_at, L.c.id]
    if prefer_posting is not None:
        order.insert(0, L.c.posting_id != prefer_posting)
    rows = await conn.execute(select(L.c.id, L.c.remaining).where(
        L.c.account_id == account_id, L.c.remaining > 0).order_by(*order))
    plan, left = [], amount
    for lot_id, remaining in rows:
        take = min(left, remaining)
        plan.append((lot_id, take))
        left -= take
        if not left:
            return plan
    raise AssertionError(f"lots of {account_id} do not cover {amount}")  # fail closed


async def consume(conn: Any, posting_id: str, plan: list[tuple[int, int]]) -> None:
    for lot_id, take in plan:
        await conn.execute(U.insert().values(lot_id=lot_id, posting_id=posting_id, amount=take))
        await conn.execute(L.update().where(L.c.id == lot_id)
                           .values(remaining=L.c.remaining - take))


async def restore(conn: Any, posting_id: str, original_id: str, amount: int) -> None:
    """Give ``amount`` spent by ``original_id`` back to its lots (latest expiry first)."""
    reversals = select(P.c.id).where(P.c.reverses_id == original_id)
    used = func.sum(U.c.amount)
    rows = await conn.execute(
        select(U.c.lot_id, used.label("left"))
        .where((U.c.posting_id == original_id) | U.c.posting_id.in_(reversals))
        .group_by(U.c.lot_id, L.c.expires_at).having(used > 0)
        .join_from(U, L, L.c.id == U.c.lot_id)
        .order_by(L.c.expires_at.is_(None).desc(), L.c.expires_at.desc(), U.c.lot_id.desc()))
    left = amount
    for lot_id, can in rows:
        give = min(left, int(can))
        await conn.execute(U.insert().values(lot_id=lot_id, posting_id=posting_id, amount=-give))
        await conn.execute(L.update().where(L.c.id == lot_id)
                           .values(remaining=L.c.remaining + give))
        left -= give
        if not left:
            return
    raise AssertionError(f"posting {original_id} used fewer points than {amount}")
