"""A stateful fake MAX Bot API over real HTTP, for tests, benchmarks and ``kassa demo``.

``MaxSim`` serves the API on 127.0.0.1 (a free port) and the upload host on a second port.
It checks the ``Authorization`` header, answers bare objects and ``{"code","message"}``
errors, holds long polls, pushes webhooks with ``X-Max-Bot-Api-Secret``, and can be told to
rate-limit (429) or fail (5xx, timeouts, dropped connections). Control it from Python
(``sim.world`` and the methods below) or over HTTP under ``/_sim/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from typing import Any

import attrs
import httpx

from kassa_max.http_server import Drop, HttpServer, Request, Response, parse_multipart
from kassa_max.sim_control import control
from kassa_max.sim_world import Json, SimError, World, payload_error

_SECRET = re.compile(r"[A-Za-z0-9_-]{5,256}")
FAULTS = ("500", "502", "503", "timeout", "drop", "drop_after")


@attrs.define
class Fault:
    kind: str
    path: str | None = None  # only calls to this path; None: any API call
    hold: float = 5.0  # seconds a "timeout" keeps the request open
    after: int = 0  # let this many matching calls through first


@attrs.define
class Subscription:
    url: str
    secret: str | None
    update_types: list[str] | None
    time: int


class MaxSim:
    DEFAULT_TOKEN = "sim-token-0123456789abcdef"

    def __init__(self, token: str = DEFAULT_TOKEN, *,
                 allow_http_webhooks: bool = False, accept_bearer: bool = False,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = World(token)
        self.world.on_update = self._on_update  # type: ignore[method-assign]
        self.allow_http_webhooks = allow_http_webhooks  # real MAX: https only
        self.accept_bearer = accept_bearer  # real behaviour unknown; reject by default
        self.api = HttpServer(self._handle, host, port)
        self.upload_host = HttpServer(self._handle_upload, host)
        self.calls: list[tuple[str, str, int]] = []  # (method, path, status)
        self.faults: deque[Fault] = deque()
        self.rps: float | None = None  # rate limit; None: off
        self.retry_after: float | None = 1.0  # Retry-After header on 429; None: no header
        self.poll_rps: float | None = None  # separate long-polling limit (reported 2 RPS)
        self._stamps: deque[float] = deque()
        self._poll_stamps: deque[float] = deque()
        self._wake = asyncio.Event()
        self.subscriptions: list[Subscription] = []
        self.webhook_attempts = 6  # compressed version of "retried up to 8 h"
        self.webhook_first_delay = 0.05
        self.webhook_log: list[tuple[str, int]] = []  # (url, status or 0 for a failure)
        self._push_queue: asyncio.Queue[Json] = asyncio.Queue()
        self._pusher: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return self.api.url

    @property
    def token(self) -> str:
        return self.world.token

    async def start(self) -> None:
        await self.api.start()
        await self.upload_host.start()
        self._pusher = asyncio.create_task(self._push_loop())

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(BaseException):
                await self._pusher
            self._pusher = None
        await self.api.stop()
        await self.upload_host.stop()

    async def __aenter__(self) -> MaxSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- control --------------------------------------------------------------------------
    def fail_next(self, count: int = 1, kind: str = "503", *, path: str | None = None,
                  hold: float = 5.0, after: int = 0) -> None:
        """The next ``count`` API calls (to ``path`` if given; after ``after`` calls that
        succeed) fail as ``kind``."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(FAULTS)}")
        self.faults.extend(Fault(kind, path, hold, after if i == 0 else 0)
                           for i in range(count))

    def rate_limit(self, rps: float | None, *, retry_after: float | None = 1.0) -> None:
        """Answer 429 above ``rps`` calls per second (None: off)."""
        self.rps, self.retry_after = rps, retry_after
        self._stamps.clear()

    def received(self, chat_id: int) -> list[Json]:
        """Message bodies the bot sent to a chat, oldest first."""
        chat = self.world.chat(chat_id)
        return [m["body"] for m in chat.messages if m["sender"]["is_bot"]]

    # --- the API --------------------------------------------------------------------------
    async def _handle(self, req: Request) -> Response:
        if req.path.startswith("/_sim/"):
            return await control(self, req)
        resp = await self._api(req)
        self.calls.append((req.method, req.path, resp.status))
        return resp

    async def _api(self, req: Request) -> Response:
        fault = self._take_fault(req.path)
        if fault is not None and fault.kind != "drop_after":
            return await self._inject(fault)
        try:
            self._authorize(req)
            self._limit(req)
            result = await self._route(req)
            resp = Response.of_json(result)
        except SimError as err:
            headers = {}
            if err.status == 429 and self.retry_after is not None:
                headers["retry-after"] = f"{self.retry_after:g}"
            resp = Response.of_json(err.body(), err.status, headers)
        except (ValueError, KeyError, TypeError) as exc:
            resp = Response.of_json(payload_error(f"Invalid request: {exc}").body(), 400)
        if fault is not None:
            raise Drop  # "drop_after": the request was processed; the answer is lost
        return resp

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path is None or fault.path == path:
                if fault.after:
                    fault.after -= 1
                    return None
                self.faults.remove(fault)
                return fault
        return None

    async def _inject(self, fault: Fault) -> Response:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.hold)
        if fault.kind in ("drop", "timeout"):
            raise Drop
        status = int(fault.kind)
        code = "internal.error" if status == 500 else "service.unavailable"
        return Response.of_json({"code": code, "message": "Service temporarily unavailable"},
                                status)

    def _authorize(self, req: Request) -> None:
        header = req.headers.get("authorization", "")
        if self.accept_bearer and header.startswith("Bearer "):
            header = header[len("Bearer "):]
        # a token in ?access_token= alone is no longer accepted
        if header != self.world.token:
            raise SimError(401, "verify.token", "Invalid access_token")

    def _limit(self, req: Request) -> None:
        now = time.monotonic()
        for stamps, rps in ((self._stamps, self.rps),
                            (self._poll_stamps, self.poll_rps if req.path == "/updates" else None)):
            if rps is None:
                continue
            while stamps and now - stamps[0] >= 1.0:
                stamps.popleft()
            if len(stamps) >= rps:
                raise SimError(429, "too.many.requests", "Too many requests")  # unverified body
            stamps.append(now)

    async def _route(self, req: Request) -> Any:
        w, q, m, p = self.world, req.query, req.method, req.path
        if p == "/me" and m == "GET":
            me = w.bot.wire(w.now_ms())
            return {**me, "description": "Kassa", "avatar_url": None, "commands": []}
        if p == "/messages" and m == "POST":
            chat = w.target(_int(q, "chat_id"), _int(q, "user_id"))
            return {"message": w.post(chat, w.render(req.json(), chat))}
        if p == "/messages" and m == "PUT":
            chat, msg = w.find(_required(q, "message_id"))
            if not msg["sender"]["is_bot"]:
                raise SimError(403, "access.denied", "Insufficient permissions to edit message")
            _replace(msg, w.render(req.json(), chat, old=msg["body"]))
            return {"success": True}
        if p == "/messages" and m == "DELETE":
            w.delete(_required(q, "message_id"))
            return {"success": True}
        if p == "/messages" and m == "GET":
            ids = q.get("message_ids")
            return {"messages": w.history(
                _int(q, "chat_id"), ids.split(",") if ids else None,
                # deprecated from/to: traversal runs newest first, so "from" is the newer end
                _bounded(q, "count", 50, 1, 100), _int(q, "before") or _int(q, "from"),
                _int(q, "after") or _int(q, "to"))}
        if (hit := re.fullmatch(r"/messages/((?:mid\.)?[a-zA-Z0-9_\-]+)", p)) and m == "GET":
            return w.find(hit.group(1))[1]
        if p == "/answers" and m == "POST":
            return self._answer(req)
        if p == "/updates" and m == "GET":
            return await self._updates(q)
        if p == "/subscriptions":
            return self._subscriptions(req)
        if p == "/uploads" and m == "POST":
            up = w.new_upload(_required(q, "type"))
            out: Json = {"url": f"{self.upload_host.url}/upload?id={up.token}"}
            if up.kind in ("video", "audio"):
                out["token"] = up.token
            return out
        if (hit := re.fullmatch(r"/chats/(-?\d+)(/members/me)?", p)) and m == "GET":
            chat = w.chat(int(hit.group(1)))
            if not chat.bot_member:
                raise SimError(403, "chat.denied", "Bot is not a member of the chat")
            if hit.group(2) is None:
                return chat.wire(w.now_ms())
            perms = ["read_all_messages", "write"] if chat.read_all else ["write"]
            return {**w.bot.wire(w.now_ms()), "is_owner": False, "is_admin": chat.bot_admin,
                    "join_time": w.now_ms(), "permissions": perms if chat.bot_admin else None}
        if p in ("/me", "/messages", "/answers", "/updates", "/uploads"):
            raise SimError(405, "method.not.allowed", f"Method {m} is not allowed")
        raise SimError(404, "not.found", f"Path {p} not found")

    def _answer(self, req: Request) -> Json:
        callback_id = req.query.get("callback_id", "")
        if not callback_id:
            raise payload_error("callback_id: must not be empty")
        body = req.json() or {}
        if not isinstance(body, dict) or not ("notification" in body or "message" in body):
            raise payload_error("Either notification or message is required")
        cb = self.world.callbacks.get(callback_id)
        if cb is None or cb["answered"]:  # real answer unverified: configurable later
            raise payload_error("callback_id: unknown or already answered")
        cb["answered"] = True
        if body.get("notification") is not None:
            self.world.notifications.append({"callback_id": callback_id,
                                             "text": body["notification"]})
        if body.get("message") is not None:
            chat, msg = self.world.find(cb["mid"])
            _replace(msg, self.world.render(body["message"], chat, old=msg["body"]))
        return {"success": True}

    async def _updates(self, q: dict[str, str]) -> Json:
        limit = _bounded(q, "limit", 100, 1, 1000)
        timeout = _bounded(q, "timeout", 30, 0, 90)
        marker = _int(q, "marker")
        types = set(q["types"].split(",")) if q.get("types") else None
        if self.subscriptions:  # webhook and polling cannot be used together
            return {"updates": [], "marker": self.world.committed}
        deadline = time.monotonic() + timeout
        while True:
            self._wake.clear()
            updates, nxt = self.world.poll(marker, limit, types)
            left = deadline - time.monotonic()
            if updates or left <= 0:
                return {"updates": updates, "marker": nxt}
            marker = nxt  # scanned-but-filtered updates stay committed while we wait
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    def _subscriptions(self, req: Request) -> Json:
        if req.method == "GET":
            return {"subscriptions": [{"url": s.url, "time": s.time, "update_types":
                                       s.update_types, "version": "0.0.33"}
                                      for s in self.subscriptions]}
        if req.method == "DELETE":
            url = _required(req.query, "url")
            before = len(self.subscriptions)
            self.subscriptions = [s for s in self.subscriptions if s.url != url]
            return {"success": len(self.subscriptions) < before}
        if req.method != "POST":
            raise SimError(405, "method.not.allowed", f"Method {req.method} is not allowed")
        body = req.json() or {}
        hook = body.get("url")
        if not isinstance(hook, str) or not hook.startswith(
                ("https://", "http://") if self.allow_http_webhooks else ("https://",)):
            raise payload_error("url: must be an HTTPS URL")
        secret = body.get("secret")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise payload_error("secret: must match [A-Za-z0-9_-]{5,256}")
        self.subscriptions = [s for s in self.subscriptions if s.url != hook]
        self.subscriptions.append(Subscription(hook, secret, body.get("update_types"),
                                               self.world.now_ms()))
        return {"success": True}

    # --- upload host (no auth) ------------------------------------------------------------
    async def _handle_upload(self, req: Request) -> Response:
        up = self.world.uploads.get(req.query.get("id", ""))
        if req.method != "POST" or req.path != "/upload" or up is None:
            return Response.of_json({"code": "not.found", "message": "Unknown upload"}, 404)
        try:
            fields = parse_multipart(req)
        except ValueError as exc:
            return Response.of_json(payload_error(str(exc)).body(), 400)
        if "data" not in fields:
            return Response.of_json(payload_error("multipart field 'data' is required").body(),
                                    400)
        up.filename, up.content = fields["data"][0] or "file", fields["data"][1]
        up.uploaded = True
        if up.kind == "image":
            return Response.of_json({"photos": {"1": {"token": up.token}}})
        return Response.of_json({"token": up.token})

    # --- pushing updates ------------------------------------------------------------------
    def _on_update(self, update: Json) -> None:
        self._wake.set()
        if self.subscriptions:
            self._push_queue.put_nowait(update)

    async def _push_loop(self) -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                update = await self._push_queue.get()
                for sub in list(self.subscriptions):
                    if sub.update_types and update["update_type"] not in sub.update_types:
                        continue
                    await self._deliver(http, sub, update)

    async def _deliver(self, http: httpx.AsyncClient, sub: Subscription, update: Json) -> None:
        headers = {"X-Max-Bot-Api-Secret": sub.secret} if sub.secret else {}
        delay = self.webhook_first_delay
        for _ in range(self.webhook_attempts):
            try:
                resp = await http.post(sub.url, json=update, headers=headers)
                self.webhook_log.append((sub.url, resp.status_code))
                if resp.status_code == 200:
                    return
            except httpx.HTTPError:
                self.webhook_log.append((sub.url, 0))
            await asyncio.sleep(delay)
            delay *= 2


def _replace(msg: Json, new: Json) -> None:
    """An edit replaces text, markup and attachments; the message keeps its id."""
    body = msg["body"]
    msg["body"] = {"mid": body["mid"], "seq": body["seq"], **new, "edited": True}


def _int(q: dict[str, str], name: str) -> int | None:
    raw = q.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise payload_error(f"{name}: must be an integer") from None


def _required(q: dict[str, str], name: str) -> str:
    if not q.get(name):
        raise payload_error(f"{name}: is required")
    return q[name]


def _bounded(q: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    value = _int(q, name)
    if value is None:
        return default
    if not lo <= value <= hi:
        raise payload_error(f"{name}: must be between {lo} and {hi}")
    return value
