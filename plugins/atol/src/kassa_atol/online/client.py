"""HTTP client of ATOL Online v5: the token, the six document operations, report/{uuid}.

It maps ATOL's answers to the shared errors (kassa.hookspecs.fiscal) and to two outcomes
of its own: ``Accepted`` (a uuid; error 33 is the same request seen again) and ``Unanswered``
(the request went out and no answer came: the document may exist, lookup decides)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
from attrs import frozen
from kassa.errors import KassaError, Permanent, RetryLater, UserError

from kassa_atol.online import codes
from kassa_atol.online.settings import OnlineSettings
from kassa_atol.online.texts import say

log = logging.getLogger(__name__)

TOKEN_LIFE = timedelta(hours=24)  # fiscal.md §2.4
TOKEN_MARGIN = timedelta(minutes=5)  # renew a little early: no call races the expiry
INLINE_WAIT_MAX = 5.0  # seconds a call may sleep for a retry; longer: RetryLater(after=)
LOGIN_BACKOFF = timedelta(seconds=60)  # after refused credentials, before asking again
TRANSIENT = {429, 500, 502, 503, 504}
_FIELD = re.compile(r"(?:поле|field)\s+«?([\w.\[\]]+)»?", re.IGNORECASE)


class Unanswered(Exception):  # not a KassaError on purpose: the outcome is unknown
    """The request was sent and no answer came (timeout, a broken link, a 5xx)."""


@frozen
class Accepted:
    uuid: str
    duplicate: bool  # error 33: ATOL already had this external_id


class OnlineClient:
    def __init__(self, cfg: OnlineSettings, clock: Any = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.cfg = cfg
        self.clock = clock
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._token: str | None = None
        self._token_at: datetime | None = None
        self._refused_at: datetime | None = None  # getToken said no (credentials)
        self.last_error: str | None = None
        self.token_ok: bool | None = None  # None: never asked

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.cfg.base_url,
                                           timeout=self.cfg.request_timeout,
                                           transport=self._transport)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # --- transport with retries ----------------------------------------------------------
    async def _send(self, method: str, path: str, body: Any = None,
                    token: str | None = None) -> httpx.Response:
        """One call, retried on 429 / 5xx / a refused connection (safe: a document POST
        carries its external_id, which ATOL keeps). A timeout is not retried: ``Unanswered``."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token:
            headers["Token"] = token
        delay = self.cfg.retry_delay
        for attempt in range(self.cfg.retries + 1):
            last = attempt == self.cfg.retries
            try:
                resp = await self.http().request(method, path, json=body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                why = f"no connection to {self.cfg.base_url}: {type(exc).__name__}"
                self.last_error = why
                if last:
                    raise RetryLater(say("unavailable", self.cfg.locale, why=why),
                                     after=delay) from exc
            except httpx.TransportError as exc:  # sent (maybe), then the link broke
                self.last_error = f"{method} {path}: {type(exc).__name__}"
                if method == "GET":
                    raise RetryLater(say("unavailable", self.cfg.locale,
                                         why=type(exc).__name__)) from exc
                raise Unanswered(f"{method} {path}: no answer ({exc!r})") from exc
            else:
                if resp.status_code not in TRANSIENT:
                    return resp
                self.last_error = f"{method} {path}: HTTP {resp.status_code}"
                wait = _retry_after(resp) or delay
                if last or wait > INLINE_WAIT_MAX:  # a long wait is the journal's, not ours
                    if resp.status_code in (429, 503) or method == "GET":
                        # 429 / 503: refused before any work (the far end said so)
                        raise RetryLater(say("unavailable", self.cfg.locale,
                                             why=f"HTTP {resp.status_code}"), after=wait)
                    raise Unanswered(f"{method} {path}: HTTP {resp.status_code}")
                delay = wait
            await anyio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the token -----------------------------------------------------------------------
    async def token(self, *, renew: bool = False) -> str:
        now = self._now()
        if (not renew and self._token and self._token_at
                and now - self._token_at < TOKEN_LIFE - TOKEN_MARGIN):
            return self._token
        if self._refused_at is not None and now - self._refused_at < LOGIN_BACKOFF:
            # refused a moment ago: status() polls must not hammer getToken
            raise Permanent(say("login", self.cfg.locale, name=self.cfg.name))
        try:
            resp = await self._send("POST", "getToken", {
                "login": self.cfg.login, "pass": self.cfg.password.reveal()})
        except Unanswered as exc:  # no document rides on a token: just later
            raise RetryLater(say("unavailable", self.cfg.locale, why=str(exc))) from exc
        data = _json(resp)
        token = data.get("token") if isinstance(data, dict) else None
        if resp.status_code >= 400 or data.get("error") or not token:
            self.token_ok, self._refused_at = False, now
            err = data.get("error") or {}
            self.last_error = f"getToken: {err.get('code')} {err.get('text')}"
            raise Permanent(say("login", self.cfg.locale, name=self.cfg.name))
        self._token, self._token_at, self.token_ok = str(token), now, True
        self._refused_at = None
        log.info("ATOL Online %s: new token", self.cfg.name)  # never the token itself
        return self._token

    async def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A group call with the token; one renewal on 401 (fiscal.md §2.4)."""
        resp = await self._send(method, f"{self.cfg.group_code}/{path}", body,
                                await self.token())
        if resp.status_code == 401:
            self.token_ok = False
            resp = await self._send(method, f"{self.cfg.group_code}/{path}", body,
                                    await self.token(renew=True))
        return resp.status_code, _json(resp)

    # --- documents -----------------------------------------------------------------------
    async def post(self, op: str, body: Mapping[str, Any]) -> Accepted:
        status, data = await self._call("POST", op, body)
        err = data.get("error") if isinstance(data, dict) else None
        if err and err.get("code") == codes.DUPLICATE:
            if data.get("uuid"):
                return Accepted(str(data["uuid"]), duplicate=True)
            # ATOL has it but did not say under which uuid: never "failed" (a new
            # external_id would make a second document), the outcome stays unknown
            raise Unanswered(f"POST {op}: error 33 without a uuid")
        if err:
            raise self.refusal(status, err)
        if status >= 400 or not data.get("uuid"):
            raise Unanswered(f"POST {op}: HTTP {status} without a uuid")
        self.last_error = None
        return Accepted(str(data["uuid"]), duplicate=False)

    async def report(self, uuid: str) -> dict[str, Any]:
        """The report: ``status`` wait | done | fail (a 34 error reads as wait)."""
        status, data = await self._call("GET", f"report/{uuid}")
        if not isinstance(data, dict):
            raise RetryLater(f"report/{uuid}: HTTP {status}, not JSON")
        err = data.get("error")
        if data.get("status") in ("wait", "done", "fail"):
            return data
        if err and err.get("code") == codes.NOT_READY:
            return {**data, "status": "wait"}
        if err:
            raise self.refusal(status, err)
        raise RetryLater(f"report/{uuid}: HTTP {status} without a status")

    def refusal(self, status: int, err: Mapping[str, Any]) -> KassaError:
        code, text = err.get("code"), str(err.get("text") or "").rstrip(".")
        self.last_error = f"{code} {text}"
        loc = self.cfg.locale
        if code == codes.UNKNOWN_GROUP:
            return Permanent(say("group", loc, group=self.cfg.group_code))
        if code in (codes.VALIDATION, codes.BAD_REQUEST):
            found = _FIELD.search(text)
            if found:
                return UserError(say("field", loc, field=found.group(1), text=text))
            return UserError(say("refused", loc, text=text))
        if status == 401:
            return Permanent(say("login", loc, name=self.cfg.name))
        return Permanent(say("refused", loc, text=f"{code} {text}"))


def _json(resp: httpx.Response) -> Any:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
