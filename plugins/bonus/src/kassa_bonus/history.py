"""A guest's history: postings newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kassa_bonus import schema
from kassa_bonus.store import BonusStore

P, A = schema.posting, schema.account


async def history_page(store: BonusStore, guest_id: str, limit: int, offset: int
                       ) -> dict[str, Any]:
    cond = P.c.guest_id == guest_id
    async with store.read() as conn:
        total = (await conn.execute(select(func.count()).select_from(P).where(cond))).scalar_one()
        rows = (await conn.execute(
            select(P.c.id, P.c.kind, P.c.amount, P.c.reversed, P.c.reverses_id, P.c.site,
                   P.c.order_ref, P.c.promo, P.c.effective_at, A.c.kind.label("account_kind"))
            .join(A, A.c.id == P.c.account_id).where(cond)
            .order_by(P.c.effective_at.desc(), P.c.id).limit(limit).offset(offset))).all()
    sign = {"earn": 1, "topup": 1, "spend": -1, "capture": -1, "expire": -1}
    items = []
    for r in rows:
        direction = sign.get(r.kind, 0)
        items.append({"id": r.id, "kind": r.kind, "account": r.account_kind,
                      "amount": r.amount * direction if direction else r.amount,
                      "reversed": r.reversed, "reverses": r.reverses_id, "site": r.site,
                      "order": r.order_ref, "promo": r.promo,
                      "at": r.effective_at.isoformat()})
    return {"items": items, "total": total, "limit": limit, "offset": offset}
