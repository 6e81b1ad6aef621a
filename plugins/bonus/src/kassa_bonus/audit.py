"""Recompute the ledger from its history and list every broken invariant (empty = healthy).

Tests run it after every step; operators run ``kassa bonus audit``. It only reads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kassa_bonus import schema

A, E, P, L, U, H = (schema.account, schema.entry, schema.posting, schema.lot, schema.lot_use,
                    schema.hold)


async def audit(conn: Any) -> list[str]:
    problems: list[str] = []
    for pid, total, n in await conn.execute(
            select(E.c.posting_id, func.sum(E.c.amount), func.count()).group_by(E.c.posting_id)):
        if total != 0 or n < 2:
            problems.append(f"posting {pid} does not balance: sum {total}, {n} entries")
    posted = {r[0]: int(r[1]) for r in await conn.execute(
        select(E.c.account_id, func.sum(E.c.amount)).group_by(E.c.account_id))}
    held = {r[0]: int(r[1]) for r in await conn.execute(
        select(H.c.account_id, func.sum(H.c.amount)).where(H.c.status == "pending")
        .group_by(H.c.account_id))}
    remaining = {r[0]: int(r[1]) for r in await conn.execute(
        select(L.c.account_id, func.sum(L.c.remaining)).group_by(L.c.account_id))}
    for acc in await conn.execute(select(A)):
        if acc.kind == "system":  # its balance is its entries' sum: the row carries none
            if acc.balance != 0:
                problems.append(f"system account {acc.code}: row balance {acc.balance} != 0")
        elif acc.balance != posted.get(acc.id, 0):
            problems.append(f"account {acc.id}: balance {acc.balance} != entries "
                            f"{posted.get(acc.id, 0)}")
        if acc.held != held.get(acc.id, 0):
            problems.append(f"account {acc.id}: held {acc.held} != pending holds "
                            f"{held.get(acc.id, 0)}")
        if acc.kind != "system" and acc.balance - acc.held + acc.credit_limit < 0:
            problems.append(f"account {acc.id} is overdrawn")
        if acc.kind == "bonus" and remaining.get(acc.id, 0) != acc.balance:
            problems.append(f"account {acc.id}: lots hold {remaining.get(acc.id, 0)}, "
                            f"balance is {acc.balance}")
    used = {r[0]: int(r[1]) for r in await conn.execute(
        select(U.c.lot_id, func.sum(U.c.amount)).group_by(U.c.lot_id))}
    for lot_id, amount, rem in await conn.execute(select(L.c.id, L.c.amount, L.c.remaining)):
        if rem != amount - used.get(lot_id, 0):
            problems.append(f"lot {lot_id}: remaining {rem} != {amount} - uses {used.get(lot_id)}")
    for currency, total in await conn.execute(
            select(E.c.currency, func.sum(E.c.amount)).group_by(E.c.currency)):
        if total != 0:
            problems.append(f"{currency}: the ledger does not sum to zero ({total})")
    return problems
