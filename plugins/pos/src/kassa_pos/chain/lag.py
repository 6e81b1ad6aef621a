"""Each store's lag as the centre sees it, for the console's Stores screen:
``GET /api/pos/chain/v1/stores`` on the centre hub (the admin token, as the core's API).

Two sources, joined per store: ``pos_chain_till`` (each till's last applied sequence, its
document's own time, when the centre applied it) and what the centre service last read of
``CHAIN``'s sources (JetStream's lag, i.e. messages still in the store's stream, and its
last contact with the store), plus the alerts it raised; and the reference data: the newest
version published per kind (``published``) and each store's applied one (``ref``).
The centre's other console screens read here too: ``/backoffice`` (returns to review, stock)
and ``/analysis?days=N`` (sales of the last N local days, ``analysis.overview``).
"""

from __future__ import annotations

import secrets as pysecrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kassa_pos.chain.ingest import till_t
from kassa_pos.chain.refdata import versions
from kassa_pos.chain.service import CENTRE, REACH_S, SourceState
from kassa_pos.settings import PosSettings

PREFIX = "/api/pos/chain/v1"
MAX_DAYS = 92  # the analysis screen's longest period: a quarter of the day summaries


def _iso(d: datetime | None) -> str | None:
    if d is None:
        return None
    # SQLite hands timestamps back without their zone; they are written in UTC
    return (d if d.tzinfo is not None else d.replace(tzinfo=UTC)).isoformat()


async def stores(hub: Any) -> dict[str, Any]:
    """The Stores screen's data: one entry per store (configured or heard from)."""
    cfg = hub.section("pos", PosSettings).chain
    async with hub.engine.connect() as conn:
        rows = (await conn.execute(sa.select(till_t).order_by(till_t.c.store,
                                                              till_t.c.till))).all()
        published, applied = await versions(conn)
    st = hub.state(CENTRE)
    seen: dict[str, SourceState] = st.get("sources") or {}
    offline: dict[str, datetime] = st.get("offline") or {}
    tills: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        tills.setdefault(r.store, []).append({
            "till": r.till, "last_seq": int(r.last_seq), "last_at": _iso(r.last_at),
            "seen_at": _iso(r.seen_at)})
    out = []
    for code in sorted(set(cfg.stores) | set(tills) | set(applied)):
        src = seen.get(code)
        own = [r for r in rows if r.store == code]
        out.append({
            "store": code, "name": hub.site(code).name,
            "online": src.online if src is not None else None,  # None: not read yet
            "silent_s": round(src.silent_s, 1) if src and src.silent_s is not None else None,
            "lag": src.lag if src is not None else None,
            "error": src.error if src is not None else "",
            "offline_since": _iso(offline.get(code)),
            "last_at": _iso(max((r.last_at for r in own), default=None)),
            "seen_at": _iso(max((r.seen_at for r in own), default=None)),
            "tills": tills.get(code, []),
            "ref": {kind: {"version": v["version"], "applied_at": _iso(v["applied_at"])}
                    for kind, v in sorted(applied.get(code, {}).items())}})
    return {"stores": out, "waiting": st.get("waiting"), "at": _iso(st.get("at")),
            "reach_s": REACH_S, "offline_after": cfg.offline_after, "published": published}


def router(hub: Any) -> Any:
    from litestar import Router, get
    from litestar.connection import ASGIConnection
    from litestar.exceptions import NotAuthorizedException, ValidationException
    from litestar.handlers import BaseRouteHandler

    def guard(conn: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        token = str(getattr(hub, "api_token", "") or "")
        got = conn.headers.get("authorization", "")
        if not token or not pysecrets.compare_digest(got.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException("a valid 'Authorization: Bearer <token>' is required")

    @get("/stores")
    async def list_stores() -> dict[str, Any]:
        return await stores(hub)

    @get("/backoffice")
    async def backoffice(store: str | None = None) -> dict[str, Any]:
        return await back_office(hub, store)

    @get("/analysis")
    async def sales(days: int = 7) -> dict[str, Any]:
        if not 1 <= days <= MAX_DAYS:
            raise ValidationException(f"days must be 1 to {MAX_DAYS}")
        return await analysis(hub, days)

    return Router(PREFIX, route_handlers=[list_stores, backoffice, sales], guards=[guard])


async def back_office(hub: Any, store: str | None = None) -> dict[str, Any]:
    """The console's back-office screen: the returns beyond what was sold (a manager
    decides each) and each store's stock, both from PostgreSQL."""
    from kassa_pos.chain.ingest import stock_levels
    from kassa_pos.chain.xreturns import conflicts

    async with hub.engine.connect() as conn:
        found = await conflicts(conn)
        levels = await stock_levels(conn, store=store)
    return {"conflicts": [{"key": c["key"], "sale": c["sale"], "store": c["store"],
                           "at": _iso(c["updated_at"])} for c in found],
            "stock": {code: {item: format(q.normalize(), "f") for item, q in items.items()}
                      for code, items in levels.items()}}


async def analysis(hub: Any, days: int = 7) -> dict[str, Any]:
    """The console's analysis screen: the chain's sales over the last ``days`` local days,
    today included (the hub's first site's time zone, as the reports' periods), by store
    (with its name), local hour, department and the top 10 items (``analysis.overview``)."""
    from kassa.reports.periods import day_start
    from kassa.reports.service import site_tz

    from kassa_pos.chain.analysis import overview

    zone = site_tz(hub, None)
    today = hub.clock.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    async with hub.engine.connect() as conn:
        data = await overview(conn, day_start(first, zone),
                              day_start(today + timedelta(days=1), zone), zone)
    for s in data["stores"]:
        s["name"] = hub.site(s["store"]).name
    return {"days": days, "first": first.isoformat(), "last": today.isoformat(), **data}
