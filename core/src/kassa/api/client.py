"""An async client of the hub's admin HTTP API: typed answers, retries with backoff, and a
self-reconnecting SSE event stream. The token is a ``Secret`` and never leaves the header."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import anyio
import httpx

from kassa.api.records import (
    ChatSummary,
    EventDetail,
    EventRecord,
    Health,
    LogRecord,
    OutboxMessage,
    OutboxStats,
    PluginsInfo,
    Report,
    ReportInfo,
    SiteStatus,
    parse,
)
from kassa.errors import KassaError
from kassa.secret import Secret

StateCallback = Callable[[bool], Any]
STREAM_IDLE_S = 60.0  # no byte for this long (not even a ": ping"): reconnect to be sure


class HubUnavailable(KassaError):
    """The hub cannot be reached (down, restarting, wrong address)."""


class ApiError(KassaError):
    """The hub answered with an error envelope; ``str()`` is its message for a person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        super().__init__(message or code)


class Backoff:
    """Exponential delays with full jitter, capped; ``reset()`` after a success."""

    def __init__(self, first: float = 0.25, cap: float = 5.0) -> None:
        self.first, self.cap, self.attempt = first, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2 ** self.attempt)
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


class ConsoleClient(Protocol):
    """What the console needs from a hub; ``AdminClient`` and ``ReplayClient`` provide it."""

    @property
    def address(self) -> str: ...
    async def health(self) -> Health: ...
    async def sites(self) -> list[SiteStatus]: ...
    async def events(self, *, site: str | None = None, kind: str | None = None,
                     employee: str | None = None, q: str | None = None, limit: int = 100,
                     before: int | None = None) -> list[EventRecord]: ...
    async def event(self, event_id: str) -> EventDetail: ...
    def stream_events(self, on_state: StateCallback | None = None
                      ) -> AsyncIterator[EventRecord]: ...
    async def events_per_minute(self, minutes: int = 30) -> list[int]: ...
    async def outbox(self) -> OutboxStats: ...
    async def outbox_messages(self, *, channel: str | None = None, chat_id: str | None = None,
                              status: str | None = None, limit: int = 100
                              ) -> list[OutboxMessage]: ...
    async def retry(self, message_id: int) -> None: ...
    async def chats(self) -> list[ChatSummary]: ...
    async def plugins(self) -> PluginsInfo: ...
    async def reports(self) -> list[ReportInfo]: ...
    async def report(self, name: str, *, site: str | None, period: str) -> Report: ...
    async def log(self, limit: int = 200) -> list[LogRecord]: ...
    async def aclose(self) -> None: ...


class AdminClient:
    """The live client. ``transport`` is for tests (e.g. ``httpx.ASGITransport``)."""

    def __init__(self, base_url: str, token: Secret | str, *, timeout: float = 10.0,
                 retries: int = 2, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._token = token if isinstance(token, Secret) else Secret(token)
        self._base = base_url.rstrip("/")
        self._retries = retries
        self._http = httpx.AsyncClient(base_url=self._base, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"AdminClient({self._base!r}, token=***)"

    @property
    def address(self) -> str:
        return self._base

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    async def _call(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        return await self.request(method, path, params=clean)

    async def request(self, method: str, path: str, **kw: Any) -> Any:
        """One request to any route of the hub (a plugin's own API too); ``kw`` goes to
        httpx (``params``, ``json``, ``headers``: these are added to the token's). Answers
        the decoded JSON (``None`` for an empty body); an error envelope raises ``ApiError``,
        an unreachable hub ``HubUnavailable``. GETs are retried on connection errors and
        5xx, other methods are not (a retry of a retry is harmless on the hub, but the
        operator should see the failure)."""
        headers = {**(kw.pop("headers", None) or {}), **self._headers()}
        backoff = Backoff(first=0.2, cap=2.0)
        attempts = 1 + (self._retries if method.upper() == "GET" else 0)
        for attempt in range(attempts):
            try:
                resp = await self._http.request(method, path, headers=headers, **kw)
            except httpx.TransportError as exc:
                if attempt + 1 < attempts:
                    await anyio.sleep(backoff.next())
                    continue
                raise HubUnavailable(f"hub {self._base} is unreachable: "
                                     f"{type(exc).__name__}") from None
            if resp.status_code >= 500 and attempt + 1 < attempts:
                await anyio.sleep(backoff.next())
                continue
            return _decode(resp)
        raise AssertionError("unreachable")  # pragma: no cover

    async def health(self) -> Health:
        return parse(await self._call("GET", "/api/health"), Health)  # type: ignore[no-any-return]

    async def sites(self) -> list[SiteStatus]:
        return parse(await self._call("GET", "/api/sites"), list[SiteStatus])  # type: ignore[no-any-return]

    async def events(self, *, site: str | None = None, kind: str | None = None,
                     employee: str | None = None, q: str | None = None, limit: int = 100,
                     before: int | None = None) -> list[EventRecord]:
        data = await self._call("GET", "/api/events", {
            "site": site, "kind": kind, "employee": employee, "q": q, "limit": limit,
            "before": before})
        return parse(data, list[EventRecord])  # type: ignore[no-any-return]

    async def event(self, event_id: str) -> EventDetail:
        return parse(await self._call("GET", f"/api/events/{event_id}"), EventDetail)  # type: ignore[no-any-return]

    async def events_per_minute(self, minutes: int = 30) -> list[int]:
        data = await self._call("GET", "/api/stats/events_per_minute", {"minutes": minutes})
        return [int(x) for x in data.get("minutes", [])]

    async def outbox(self) -> OutboxStats:
        return parse(await self._call("GET", "/api/outbox"), OutboxStats)  # type: ignore[no-any-return]

    async def outbox_messages(self, *, channel: str | None = None, chat_id: str | None = None,
                              status: str | None = None, limit: int = 100
                              ) -> list[OutboxMessage]:
        data = await self._call("GET", "/api/outbox/messages", {
            "channel": channel, "chat_id": chat_id, "status": status, "limit": limit})
        return parse(data, list[OutboxMessage])  # type: ignore[no-any-return]

    async def retry(self, message_id: int) -> None:
        await self._call("POST", f"/api/outbox/{message_id}/retry")

    async def chats(self) -> list[ChatSummary]:
        return parse(await self._call("GET", "/api/chats"), list[ChatSummary])  # type: ignore[no-any-return]

    async def plugins(self) -> PluginsInfo:
        return parse(await self._call("GET", "/api/plugins"), PluginsInfo)  # type: ignore[no-any-return]

    async def reports(self) -> list[ReportInfo]:
        return parse(await self._call("GET", "/api/reports"), list[ReportInfo])  # type: ignore[no-any-return]

    async def report(self, name: str, *, site: str | None, period: str) -> Report:
        data = await self._call("GET", f"/api/reports/{name}",
                                {"site": site or "", "period": period})
        return parse(data, Report)  # type: ignore[no-any-return]

    async def log(self, limit: int = 200) -> list[LogRecord]:
        return parse(await self._call("GET", "/api/log", {"limit": limit}), list[LogRecord])  # type: ignore[no-any-return]

    async def stream_events(self, on_state: StateCallback | None = None
                            ) -> AsyncIterator[EventRecord]:
        """New events, forever. Reconnects with backoff when the hub goes away; after a
        reconnect it fetches what was missed (by ``seq``) so no event is skipped or repeated.
        ``on_state(online)`` is called whenever the connection comes up or goes down."""
        backoff = Backoff()
        last_seq: int | None = None
        state: bool | None = None

        def report(online: bool) -> None:
            nonlocal state
            if online != state:
                state = online
                if on_state is not None:
                    on_state(online)

        while True:
            try:
                async with self._http.stream("GET", "/api/events/stream", headers=self._headers(),
                                             timeout=httpx.Timeout(10.0, read=STREAM_IDLE_S)
                                             ) as resp:
                    if resp.status_code != 200:
                        await resp.aread()
                        _decode(resp)  # raises ApiError (401 is not worth retrying)
                    report(True)
                    backoff.reset()
                    if last_seq is not None:
                        for rec in reversed(await self.events(limit=100)):
                            if rec.seq > last_seq:
                                last_seq = rec.seq
                                yield rec
                    async for data in _sse_data(resp):
                        rec = parse(json.loads(data), EventRecord)
                        if last_seq is None or rec.seq > last_seq:
                            last_seq = rec.seq
                            yield rec
            except httpx.ReadTimeout:
                continue  # a quiet hub or a half-open socket: reconnect, the link may be fine
            except (httpx.TransportError, HubUnavailable):
                pass
            report(False)
            await anyio.sleep(backoff.next())

    async def aclose(self) -> None:
        await self._http.aclose()


async def _sse_data(resp: httpx.Response) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event (multi-line data joined; comments skipped)."""
    buf: list[str] = []
    async for line in resp.aiter_lines():
        if not line:
            if buf:
                yield "\n".join(buf)
                buf = []
        elif line.startswith("data:"):
            buf.append(line[5:].removeprefix(" "))


def _decode(resp: httpx.Response) -> Any:
    if resp.status_code < 400:
        return resp.json() if resp.content else None
    code, message = f"http_{resp.status_code}", resp.reason_phrase
    try:
        err = resp.json().get("error", {})
        code, message = err.get("code", code), err.get("message", message)
    except (ValueError, AttributeError):
        pass
    raise ApiError(resp.status_code, code, message)
