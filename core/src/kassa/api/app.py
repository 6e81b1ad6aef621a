"""The Litestar app: the admin API under /api (token), plus plugins' own routes."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets as pysecrets
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from litestar import Litestar, Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.response import Stream

from kassa import __version__, codec, eventlog
from kassa import outbox as outbox_queries
from kassa.api import logbuffer
from kassa.api.logbuffer import LOG_BUFFER
from kassa.errors import UserError
from kassa.secret import redact
from kassa.supervision import Contained

if TYPE_CHECKING:
    from kassa.api.host import AdminHost


def _err(code: str, message: str, status: int) -> Response[Any]:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def _outbox_json(r: Any) -> dict[str, Any]:
    body = json.loads(r.payload)
    msg = body.get("message", {})
    return {
        "id": r.id, "channel": r.channel, "chat_id": r.chat_id, "thread_id": r.thread_id,
        "status": r.status, "attempts": r.attempts, "kind": r.kind, "severity": r.severity,
        "text": msg.get("text", ""), "buttons": msg.get("buttons", []),
        "attachments": [{"filename": a["filename"], "mime": a["mime"]}
                        for a in msg.get("attachments", [])],
        "event_id": r.event_id, "created_at": _iso(r.created_at), "sent_at": _iso(r.sent_at),
        "last_error": r.last_error, "remote_id": r.remote_id,
    }


def _iso(d: datetime | None) -> str | None:
    if d is None:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).isoformat()


async def build_app(hub: AdminHost, routes: Sequence[Any] = ()) -> Litestar:
    """The app over ``hub``; ``routes`` are what plugins' ``register_routes`` returned."""
    token = hub.api_token  # the hub's (token_for): it also redacts it from logs

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        got = connection.headers.get("authorization", "")
        if not pysecrets.compare_digest(got.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException("a valid 'Authorization: Bearer <token>' is required")

    def exc_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if isinstance(exc, HTTPException):
            code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
                    400: "bad_request"}.get(exc.status_code, "error")
            return _err(code, str(exc.detail), exc.status_code)
        if isinstance(exc, UserError):
            return _err("bad_request", str(exc), 400)
        return _err("internal", "internal error (see the hub log)", 500)

    @get("/health")
    async def health() -> dict[str, Any]:
        # a source that is not online (its server silent, its listener down) degrades the hub
        problems: list[dict[str, Any]] = [
            {"source": s.name, "site": s.site, "error": h.get("listen_error") or h.get("error")}
            for s in hub.sources if not (h := _health(s)).get("online", True)]
        # the store refusing writes (a full or read-only disk, a lost database): events are
        # not being acknowledged, whatever the sources say
        if (failure := hub.log.write_failure) is not None:
            problems.insert(0, {"store": "event log", "since": failure[0].isoformat(),
                                "error": redact(failure[1], hub.secret_values())})
        return {"status": "degraded" if problems else "ok", "name": hub.settings.hub.name,
                "version": __version__, "problems": problems,
                "uptime_s": round(time.monotonic() - hub.started_at, 1), "locale": hub.locale}

    @get("/sites")
    async def sites() -> list[dict[str, Any]]:
        # The dashboard polls this: count in SQL, decode only the day's closed checks.
        out = []
        for s in hub.settings.sites:
            tz = ZoneInfo(s.timezone)
            start = hub.clock.now().astimezone(tz).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
            by_severity = await eventlog.severity_counts(hub.store, site=s.code, since=start)
            sales = hub.kinds.sales()  # kinds declared as a closed sale
            checks = await hub.events(site=s.code, kinds=sales, since=start) if sales else []
            st = hub.site_state.get(s.code, {})
            out.append({
                "code": s.code, "name": s.name or s.code, "online": st.get("online"),
                "since": _iso(st.get("since")), "last_event_at": _iso(st.get("last_event_at")),
                "events_today": sum(by_severity.values()), "checks_today": len(checks),
                "revenue_today": sum(e.amount or 0 for e in checks),
                "alerts_today": by_severity.get("warning", 0) + by_severity.get("danger", 0),
                "stations": sorted(st.get("stations", ())),
            })
        return out

    @get("/events")
    async def events(site: str | None = None, kind: str | None = None,
                     employee: str | None = None, q: str | None = None, limit: int = 100,
                     before: int | None = None) -> list[dict[str, Any]]:
        rows = await eventlog.query(hub.store, site=site or None, kinds=[kind] if kind else None,
                                    employee=employee or None, text=q or None,
                                    limit=min(max(limit, 1), 1000), before=before,
                                    newest_first=True)
        return [{"seq": seq, "event": codec.to_dict(e)} for seq, e in rows]

    @get("/events/stream")
    async def stream() -> Stream:
        q = hub.listen()

        async def gen() -> AsyncIterator[str]:
            try:
                yield ": connected\n\n"
                while True:
                    try:
                        seq, e = await asyncio.wait_for(q.get(), timeout=15)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    data = json.dumps({"seq": seq, "event": codec.to_dict(e)}, ensure_ascii=False)
                    yield f"data: {data}\n\n"
            finally:
                hub.unlisten(q)

        return Stream(gen(), media_type="text/event-stream",
                      headers={"Cache-Control": "no-cache"})

    @get("/events/{event_id:str}")
    async def event_detail(event_id: str) -> Response[Any]:
        found = await eventlog.find(hub.store, event_id)
        if found is None:
            return _err("not_found", f"no event {event_id}", 404)
        seq, payload = found
        msgs = await outbox_queries.messages(hub.store, event_id=event_id, limit=1000)
        return Response({"seq": seq, "event": json.loads(payload),
                         "messages": [_outbox_json(m) for m in msgs]})

    @get("/stats/events_per_minute")
    async def per_minute(minutes: int = 30) -> dict[str, Any]:
        minutes = min(max(minutes, 1), 24 * 60)
        now = hub.clock.now().replace(second=0, microsecond=0)
        since = now - timedelta(minutes=minutes - 1)
        counts = [0] * minutes
        for r in await eventlog.received_since(hub.store, since):
            idx = int((r - since).total_seconds() // 60)
            if 0 <= idx < minutes:
                counts[idx] += 1
        return {"minutes": counts}

    @get("/outbox")
    async def outbox() -> dict[str, Any]:
        counts = await outbox_queries.counts(hub.store)
        counts.pop("by_chat")  # /chats shows those
        return counts

    @get("/outbox/messages")
    async def outbox_messages(channel: str | None = None, chat_id: str | None = None,
                              status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        rows = await outbox_queries.messages(hub.store, channel=channel, chat_id=chat_id,
                                             status=status, limit=min(max(limit, 1), 1000))
        return [_outbox_json(r) for r in rows]

    @post("/outbox/{row_id:int}/retry", status_code=200)
    async def retry(row_id: int) -> Response[Any]:
        res = await hub.outbox.retry(row_id)
        if res == "missing":
            return _err("not_found", f"no outbox message {row_id}", 404)
        if res == "not_dead":
            return _err("not_dead", f"message {row_id} is not a dead letter", 409)
        return Response({"ok": True})

    @get("/chats")
    async def chats() -> list[dict[str, Any]]:
        counts = (await outbox_queries.counts(hub.store))["by_chat"]
        out = []
        for (ch, cid), rule in hub.router.rules.items():
            c = counts.get(f"{ch}:{cid}", {})
            out.append({"channel": ch, "chat_id": cid, "name": rule.settings.name,
                        "site": rule.settings.site, "owners": rule.settings.owners,
                        "pending": c.get("pending", 0), "sent": c.get("sent", 0),
                        "dead": c.get("dead", 0)})
        return out

    @get("/plugins")
    async def plugins() -> dict[str, Any]:
        comps: list[dict[str, Any]] = []
        for s in hub.sources:
            comps.append({"kind": "source", "name": s.name, "site": getattr(s, "site", None),
                          "health": _health(s)})
        for c in hub.channels.values():
            comps.append({"kind": "channel", "name": c.name, "site": None, "health": _health(c)})
        secrets = hub.secret_values()
        for name, st in hub.device_keeper.describe().items():
            reason = st["reason"]  # redacted when recorded
            comps.append({"kind": "device", "name": name, "site": st["site"],
                          "health": {"online": bool(st["available"]), "available":
                                     st["available"], "device_kind": st["kind"],
                                     "since": st["since"], "attempts": st["attempts"],
                                     **({"error": reason} if reason else {})}})
        jobs = [{"job": what, "running": j.running, "restarts": j.restarts,
                 "last_error": redact(j.last_error, secrets) if j.last_error else None}
                for what, j in sorted(hub.supervisor.jobs.items())]
        return {"plugins": hub.plugins.describe(), "components": comps, "jobs": jobs}

    @get("/reports")
    async def reports() -> list[dict[str, Any]]:
        return [{"name": n, "title": r.title.get(hub.locale) or r.title.get("ru") or n}
                for n, r in hub.plugins.reports().items()]

    @get("/reports/{name:str}")
    async def report(name: str, site: str | None = None, period: str = "today") -> Response[Any]:
        from kassa.reports.service import build, period_for

        if name not in hub.plugins.reports():
            return _err("not_found", f"no report named {name!r}", 404)
        site = site or None
        if site is not None and hub.settings.site(site) is None:
            return _err("bad_request", f"no site with code {site!r}", 400)
        p = await period_for(hub, period, site, hub.locale)
        rep = await build(hub, name, site, p, hub.locale)
        return Response(codec.to_dict(rep))

    @get("/log")
    async def log_tail(limit: int = 200) -> list[dict[str, Any]]:
        return LOG_BUFFER.tail(min(max(limit, 1), 2000), hub.secret_values())

    from kassa.api.devices import routes as device_routes
    from kassa.fiscal_ops.api import routes as fiscal_routes

    admin = Router("/api", route_handlers=[
        health, sites, events, stream, event_detail, per_minute, outbox, outbox_messages, retry,
        chats, plugins, reports, report, log_tail, *fiscal_routes(hub), *device_routes(hub)],
        guards=[guard])
    extra = list(routes)
    logbuffer.install()  # whatever configured logging since the import
    return Litestar(route_handlers=[admin, *extra], exception_handlers={Exception: exc_handler},
                    openapi_config=None, debug=False, logging_config=None)


_CONTAINED = Contained(logging.getLogger("kassa.api"))  # each failing health() logged once


def _health(component: Any) -> dict[str, Any]:
    try:
        h = component.health()
        return dict(h) if isinstance(h, dict) else {"online": True}
    except Exception as exc:
        _CONTAINED.failed(component, "health", exc, "offline")
        return {"online": False, "error": type(exc).__name__}
