"""Bonus lots: every credit of points is a lot with its own expiry; every debit is allocated to
lots oldest-expiry-first, so expiry voids only what is left of a lot and a refund gives points
back to the very lots they came from (the FloCafe / Odoo balance-collapse bug cannot happen).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from kassa_bonus import schema

L, U, P = schema.lot, schema.lot_use, schema.posting
NEW_LOT, NEW_USES = L.insert(), U.insert()
TAKE = L.update().where(L.c.id == bindparam("lid")).values(
    remaining=L.c.remaining - bindparam("take"))


def _plan(prefer: bool) -> Any:
    """Lots paying ``amount`` in spending order, only as many as needed (a running sum); with
    ``prefer`` the lot of posting ``prefer`` comes first (an earn being taken back)."""
    order = [L.c.expires_at.is_(None), L.c.expires_at, L.c.id]
    if prefer:
        order.insert(0, L.c.posting_id != bindparam("prefer"))
    running = func.sum(L.c.remaining).over(order_by=order).label("running")
    lots = (select(L.c.id, L.c.remaining, running)
            .where(L.c.account_id == bindparam("account"), L.c.remaining > 0).subquery())
    return (select(lots.c.id, lots.c.remaining)
            .where(lots.c.running - lots.c.remaining < bindparam("amount"))
            .order_by(lots.c.running))


PLAN, PLAN_PREFERRING = _plan(False), _plan(True)


async def open_lot(conn: Any, account_id: str, posting_id: str, amount: int,
                   expires_at: datetime | None, now: datetime) -> None:
    await conn.execute(NEW_LOT, dict(account_id=account_id, posting_id=posting_id,
                                     amount=amount, remaining=amount, expires_at=expires_at,
                                     created_at=now))


async def allocate(conn: Any, account_id: str, amount: int, *,
                   prefer_posting: str | None = None) -> list[tuple[int, int]]:
    """Which lots pay ``amount``: the preferred posting's lot first (an earn being taken
    back), then the soonest to expire; lots that never expire last. Only the lots needed are
    read, however many small lots the account has."""
    params = dict(account=account_id, amount=amount)
    if prefer_posting is not None:
        params["prefer"] = prefer_posting
    rows = await conn.execute(PLAN if prefer_posting is None else PLAN_PREFERRING, params)
    plan, left = [], amount
    for lot_id, remaining in rows:
        take = min(left, remaining)
        plan.append((lot_id, take))
        left -= take
        if not left:
            return plan
    raise AssertionError(f"lots of {account_id} do not cover {amount}")  # fail closed


async def consume(conn: Any, posting_id: str, plan: list[tuple[int, int]]) -> None:
    """Record the uses and lower the lots: two statements whatever the number of lots."""
    await conn.execute(NEW_USES, [dict(lot_id=lot_id, posting_id=posting_id, amount=take)
                                  for lot_id, take in plan])
    await conn.execute(TAKE, [dict(lid=lot_id, take=take) for lot_id, take in plan])


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
