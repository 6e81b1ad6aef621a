"""The ATOL Web Server client (fiscal.md §2.2): ``POST /api/v2/requests`` with
``{uuid, request: [task...]}``, then ``GET /api/v2/requests/{uuid}`` until every task is
final. The request uuid is derived from the journal key and the task type (uuid5), so a retry
after a timeout sends the same uuid and the Web Server never runs it twice; ``lookup(key)`` is
a GET of those uuids."""

from __future__ import annotations

import functools
import ssl
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import httpx
from kassa.errors import Permanent, RetryLater, UserError

from kassa_atol import codes
from kassa_atol.texts import say

NAMESPACE = uuidlib.UUID("5b0f6a3e-2f4c-4c8e-9a57-6b1d3c0a7e21")  # Kassa's, for ATOL uuids
FINAL = frozenset({"ready", "error", "interrupted", "canceled", "blocked"})
PENDING = frozenset({"wait", "inProgress"})
MAX_RESENDS = 20  # an uuid whose task failed is final: a retry goes out as uuid#1, #2...


def request_uuid(key: str, task_type: str, attempt: int = 0) -> str:
    """The request uuid for ``key``: one per (key, task type, resend), always the same."""
    name = f"{task_type}:{key}" + (f"#{attempt}" if attempt else "")
    return str(uuidlib.uuid5(NAMESPACE, name))


class TaskFailed(Exception):
    """A task ended with an ``errorCode``; ``error()`` is the shared error it means."""

    def __init__(self, status: str, code: int, description: str) -> None:
        self.status, self.code, self.description = status, code, description
        super().__init__(f"ATOL error {code}: {description} ({status})")

    def error(self, register: str, locale: str = "ru") -> Exception:
        what = {"register": register, "description": self.description, "code": self.code}
        if self.status in ("blocked", "canceled") or self.code in codes.RETRY:
            return RetryLater(say("atol.unavailable", locale, register=register,
                                  why=self.description), after=10)
        if self.code in codes.PERMANENT:
            return Permanent(say("atol.broken", locale, **what))
        text = say("atol.refused", locale, **what)
        if self.code in codes.USER or self.status == "interrupted":
            return _user_error(self.code, text)
        return UserError(text)  # unknown code: refused, nothing made; the text tells why


def _user_error(code: int, text: str) -> UserError:
    from kassa.model.fiscal import ReceiptError

    if code in (codes.DriverError.SHIFT_EXPIRED, codes.DriverError.FN_SHIFT_EXPIRED):
        return ReceiptError("shift_expired")
    if code == codes.DriverError.DENIED_IN_CLOSED_SHIFT:
        return ReceiptError("shift_closed")
    return UserError(text)


class WebServerClient:
    """HTTP to one Web Server (one register: ``device_id`` picks it when it drives several)."""

    def __init__(self, url: str, *, register: str = "atol", locale: str = "ru",
                 device_id: str = "", auth: tuple[str, str] | None = None,
                 poll_interval: float = 0.25, timeout: float = 60.0,
                 connect_timeout: float = 3.0) -> None:
        self.url = url.rstrip("/")
        self.register, self.locale = register, locale
        self.params = {"deviceID": device_id} if device_id else {}
        self.auth = auth
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.url, auth=self.auth, verify=_tls(),
                timeout=httpx.Timeout(10.0, connect=self.connect_timeout))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def submit(self, uuid: str, tasks: Sequence[Mapping[str, Any]]) -> bool:
        """POST the request; False if the Web Server already has this uuid (409). Raises
        ``RetryLater`` when it could not be reached (nothing was sent)."""
        try:
            resp = await self.http.post("/api/v2/requests", params=self.params,
                                        json={"uuid": uuid, "request": list(tasks)})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent
            raise RetryLater(say("atol.unavailable", self.locale, register=self.register,
                                 why=f"{self.url}: {exc}"), after=5) from None
        code = resp.status_code
        if code == 409:
            return False
        if code == 401:
            raise Permanent(say("atol.login", self.locale, register=self.register))
        if code >= 500:  # not taken: the server says so before storing it
            raise RetryLater(say("atol.unavailable", self.locale, register=self.register,
                                 why=f"HTTP {code}"), after=5)
        if code >= 400:
            raise UserError(say("atol.bad_request", self.locale, register=self.register,
                                status=code, text=resp.text[:200]))
        return True

    async def fetch(self, uuid: str) -> list[dict[str, Any]] | None:
        """The results of a request; None if the Web Server has no request with this uuid."""
        resp = await self.http.get(f"/api/v2/requests/{uuid}", params=self.params)
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        results = resp.json().get("results")
        if not isinstance(results, list):
            raise ValueError(f"ATOL Web Server: no results in {resp.text[:200]}")
        return results

    async def wait(self, uuid: str) -> list[dict[str, Any]]:
        """Poll until every task of the request is final (``TimeoutError`` after
        ``timeout``: the outcome is then unknown, never retried blindly)."""
        pause = min(0.01, self.poll_interval)  # doubling up to poll_interval: a quick
        with anyio.fail_after(self.timeout):   # task is seen at once, a slow print costs
            while True:                        # a few GETs a second
                results = await self.fetch(uuid)
                if results and all(r.get("status") in FINAL for r in results):
                    return results
                await anyio.sleep(pause)
                pause = min(pause * 2, self.poll_interval)

    async def run(self, uuid: str, tasks: Sequence[Mapping[str, Any]]
                  ) -> tuple[bool, list[dict[str, Any]]]:
        """(fresh, results): ``fresh`` is False when the uuid was there already."""
        fresh = await self.submit(uuid, tasks)
        return fresh, await self.wait(uuid)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client (an https Web Server behind a proxy): building one
    reads the CA bundle, ~0.2 s on a loaded till."""
    return ssl.create_default_context()


def failure(result: Mapping[str, Any]) -> TaskFailed | None:
    # flat errorCode/errorDescription (fiscal.md §2.2) or, as one public Web Server client's
    # sample answer shows, nested "error": {"code", "description"}: either is read
    nested = result.get("error")
    err: Mapping[str, Any] = nested if isinstance(nested, Mapping) else {}
    status = str(result.get("status"))
    code = int(result.get("errorCode") or err.get("code") or 0)
    if status == "ready" and code == 0:
        return None
    return TaskFailed(status, code or codes.DriverError.UNKNOWN,
                      str(result.get("errorDescription") or err.get("description")
                          or codes.text(code)))


async def perform(client: WebServerClient, key: str, task: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """Run one side-effecting task under ``key``; its ``result``. A uuid sent before returns
    its first result; one whose task failed (nothing was made) is followed by a new uuid."""
    for attempt in range(MAX_RESENDS):
        fresh, results = await client.run(request_uuid(key, task["type"], attempt), [task])
        failed = failure(results[0])
        if failed is None:
            return dict(results[0].get("result") or {})
        if fresh:
            raise failed.error(client.register, client.locale) from failed
    raise Permanent(f"ATOL register {client.register}: {MAX_RESENDS} attempts of {key} failed")


async def find(client: WebServerClient, key: str, task_types: Sequence[str], *,
               wait: float = 2.0) -> tuple[str, dict[str, Any]] | None:
    """(task type, result) of the request ``key`` made, None if there is none. A request
    still queued or running is waited for up to ``wait`` seconds, then ``RetryLater``."""
    with anyio.move_on_after(wait):
        while True:
            try:
                return await _find(client, key, task_types)
            except _Running:
                await anyio.sleep(client.poll_interval)
    raise RetryLater(f"ATOL request {key} is still queued or running", after=1)


class _Running(Exception):
    pass


async def _find(client: WebServerClient, key: str, task_types: Sequence[str]
                ) -> tuple[str, dict[str, Any]] | None:
    found: dict[str, list[dict[str, Any]] | None] = {}

    async def one(kind: str) -> None:
        found[kind] = await client.fetch(request_uuid(key, kind))

    async with anyio.create_task_group() as tg:
        for kind in task_types:
            tg.start_soon(one, kind)
    for kind in task_types:
        attempt, results = 0, found[kind]
        while results is not None:
            if any(r.get("status") in PENDING for r in results):
                raise _Running(key)
            if failure(results[0]) is None:
                return kind, dict(results[0].get("result") or {})
            attempt += 1
            if attempt >= MAX_RESENDS:
                break
            results = await client.fetch(request_uuid(key, kind, attempt))
    return None
