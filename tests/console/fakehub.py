"""A small in-test hub speaking the admin API contract (docs: admin_api), served by uvicorn on
127.0.0.1:0, so the console's real client is tested over a real socket until (and beside)
``kassa.testing.make_hub``. It enforces the contract's rules: bearer auth, error envelopes,
404/409 on retry, newest-first lists, SSE framing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, MutableMapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from kassa.codec import to_dict
from kassa.model import Event

Scope = MutableMapping[str, Any]


class FakeHub:
    def __init__(self, token: str, *, sites: list[dict[str, Any]] | None = None) -> None:
        self.token = token
        self.events: list[tuple[int, Event]] = []
        self.messages: list[dict[str, Any]] = []
        self.sites = sites or []
        self.chats: list[dict[str, Any]] = []
        self.log: list[dict[str, str]] = []
        # health as the real components report it: Telegram's channel says no "online"
        self.components: list[dict[str, Any]] = [
            {"kind": "channel", "name": "telegram", "site": None,
             "health": {"name": "telegram", "mode": "polling", "bot": "kassa_bot", "sent": 12,
                        "received": 3, "last_ok": "2026-03-02T09:35:01+03:00",
                        "last_error": None}},
            {"kind": "source", "name": "rkeeper", "site": "msk1",
             "health": {"online": True, "listening": True, "listen_error": None,
                        "error": None, "listen_port": 8087, "clock_skew_s": 53976.8}}]
        self.requests: list[str] = []
        self._subscribers: set[asyncio.Queue[str]] = set()

    # --- state ------------------------------------------------------------------------------
    def emit(self, event: Event) -> int:
        seq = len(self.events) + 1
        self.events.append((seq, event))
        frame = json.dumps({"seq": seq, "event": to_dict(event)}, ensure_ascii=False)
        for q in self._subscribers:
            q.put_nowait(frame)
        return seq

    def add_message(self, **kw: Any) -> dict[str, Any]:
        msg = {"id": len(self.messages) + 1, "thread_id": None, "attempts": 1, "kind": "alert",
               "severity": "info", "buttons": [], "attachments": [], "event_id": None,
               "created_at": "2026-03-02T09:00:00+03:00", "sent_at": None, "last_error": None,
               "remote_id": None, **kw}
        self.messages.append(msg)
        return msg

    # --- ASGI -------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path, method = scope["path"], scope["method"]
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        self.requests.append(f"{method} {path}")
        headers = dict(scope["headers"])
        if headers.get(b"authorization") != f"Bearer {self.token}".encode():
            return await _json(send, 401, _error("unauthorized", "bad or missing token"))
        if path == "/api/events/stream":
            return await self._stream(send)
        try:
            status, body = self._route(method, path, query)
        except LookupError as exc:
            status, body = 404, _error("not_found", str(exc))
        await _json(send, status, body)

    def _route(self, method: str, path: str, q: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 4 and parts[1] == "outbox" and parts[3] == "retry":
            msg = next((m for m in self.messages if str(m["id"]) == parts[2]), None)
            if msg is None:
                raise LookupError(f"no outbox message {parts[2]}")
            if msg["status"] != "dead":
                return 409, _error("conflict", f"message {parts[2]} is {msg['status']}")
            msg["status"], msg["last_error"] = "pending", None
            return 200, {"ok": True}
        if method != "GET":
            return 405, _error("method_not_allowed", method)
        if path == "/api/health":
            return 200, {"status": "ok", "name": "fake", "version": "0", "uptime_s": 1.0,
                         "locale": "ru"}
        if path == "/api/sites":
            return 200, self.sites
        if path == "/api/events":
            return 200, self._events(q)
        if len(parts) == 3 and parts[1] == "events":
            for seq, e in self.events:
                if e.id == parts[2]:
                    msgs = [m for m in self.messages if m["event_id"] == e.id]
                    return 200, {"seq": seq, "event": to_dict(e), "messages": msgs}
            raise LookupError(f"no event {parts[2]}")
        if path == "/api/stats/events_per_minute":
            n = int(q.get("minutes", 30))
            return 200, {"minutes": [i % 5 for i in range(n)]}
        if path == "/api/outbox":
            count = {s: sum(m["status"] == s for m in self.messages)
                     for s in ("pending", "sent", "dead", "merged")}
            return 200, {**count, "by_channel": {}}
        if path == "/api/outbox/messages":
            out = [m for m in reversed(self.messages)
                   if all(not q.get(k) or str(m[k]) == q[k]
                          for k in ("channel", "chat_id", "status"))]
            return 200, out[: int(q.get("limit", 100))]
        if path == "/api/chats":
            return 200, self.chats
        if path == "/api/plugins":
            return 200, {"plugins": [{"name": "telegram", "version": "0.1.0",
                                      "hooks": ["register_channels"]}],
                         "components": self.components}
        if path == "/api/reports":
            return 200, [{"name": "sales_by_hour", "title": "Продажи по часам"}]
        if len(parts) == 3 and parts[1] == "reports":
            return self._report(parts[2], q)
        if path == "/api/log":
            return 200, self.log
        raise LookupError(f"no route {path}")

    def _events(self, q: dict[str, str]) -> list[dict[str, Any]]:
        out = []
        for seq, e in reversed(self.events):
            if (q.get("site") and e.site != q["site"]) or (q.get("kind") and e.kind != q["kind"]):
                continue
            if q.get("employee") and q["employee"].lower() not in (e.employee or "").lower():
                continue
            if q.get("q") and q["q"].lower() not in " ".join(
                    filter(None, (e.text, e.reason, e.kind))).lower():
                continue
            if q.get("before") and seq >= int(q["before"]):
                continue
            out.append({"seq": seq, "event": to_dict(e)})
        return out[: int(q.get("limit", 100))]

    def _report(self, name: str, q: dict[str, str]) -> tuple[int, Any]:
        if name != "sales_by_hour":
            raise LookupError(f"no report {name}")
        if q.get("period") not in ("today", "yesterday", "shift", "week") and \
                ".." not in q.get("period", ""):
            return 400, _error("bad_period", f"unknown period {q.get('period')!r}")
        rows = [["09:00", 3, 125000], ["10:00", 5, 342050], ["11:00", 2, 99000]]
        return 200, {
            "name": name, "title": "Продажи по часам", "site": q.get("site") or None,
            "period": {"start": "2026-03-02T00:00:00+03:00", "end": "2026-03-03T00:00:00+03:00",
                       "label": "02.03.2026"},
            "columns": [{"key": "hour", "title": "Час", "kind": "text"},
                        {"key": "checks", "title": "Чеки", "kind": "int"},
                        {"key": "revenue", "title": "Выручка", "kind": "money"}],
            "rows": rows, "totals": [None, 10, 566050],
            "chart": {"x": "hour", "y": "revenue", "kind": "bar"}, "notes": ["тестовые данные"]}

    async def _stream(self, send: Any) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/event-stream")]})
            await send({"type": "http.response.body", "body": b": hello\n\n",
                        "more_body": True})
            while True:
                frame = await queue.get()
                await send({"type": "http.response.body",
                            "body": f"data: {frame}\n\n".encode(), "more_body": True})
        except asyncio.CancelledError:
            return  # the server is stopping (the test killed the hub): end quietly
        finally:
            self._subscribers.discard(queue)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


async def _json(send: Any, status: int, body: Any) -> None:
    data = json.dumps(body, ensure_ascii=False, default=_iso).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": data})


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@contextlib.asynccontextmanager
async def serve(app: Any, port: int = 0) -> AsyncIterator[str]:
    """Serve an ASGI app on 127.0.0.1 (a free port unless given); yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.01)
    sock = server.servers[0].sockets[0]
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        server.force_exit = True  # open SSE streams would otherwise hold the shutdown
        # as when the hub's process dies: the sockets close. Again until it has stopped: a
        # client reconnecting meanwhile is accepted until uvicorn stops listening, and on
        # 3.12+ asyncio's Server.wait_closed() waits for every connection to close
        async with asyncio.timeout(5):
            while not task.done():
                for conn in list(server.server_state.connections):
                    conn.transport.close()
                await asyncio.wait({task}, timeout=0.05)
        await task
