"""The Lime ("Jade") API client: an OAuth password-grant token kept fresh, the card, the
cashdesk's shift, check ids and PutCheck [rkeeper.md §4].

Failures come out in three kinds, because the caller's next step differs:
``LimeUnreachable`` (the request never got there: nothing happened, safe to retry),
``LimeNoAnswer`` (sent, no answer: it may have happened), ``LimeRefused`` (Lime answered
no, with its code and text). The password and tokens are never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from kassa.secret import Secret

from kassa_lime import wire
from kassa_lime.check import CardInfo

log = logging.getLogger("kassa.lime")
API = "/api/CashdeskServer"
EARLY = 30.0  # refresh this many seconds before the token says it expires


class LimeError(Exception):
    pass


class LimeUnreachable(LimeError):
    """Not connected, or Lime said it is not serving (503): the request did nothing."""


class LimeNoAnswer(LimeError):
    """The request went out and no answer came: its effect is unknown."""


class LimeRefused(LimeError):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"Lime refused ({status} {code}): {message}")


class LimeAuthFailed(LimeRefused):
    """The credentials are wrong: no retry helps until the config is fixed."""


class LimeClient:
    def __init__(self, base_url: str, *, username: str, password: Secret,
                 client_id: str = "Jade.Api", timeout: float = 4.0,
                 tz: ZoneInfo | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.username, self.password, self.client_id = username, password, client_id
        self.tz = tz or ZoneInfo("Europe/Moscow")
        self.clock = clock
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                      transport=transport)
        self.access: Secret | None = None
        self.refresh: Secret | None = None
        self.expires_at = 0.0
        self.token_requests = 0  # for tests and the bench: how often we asked for a token

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- the token ------------------------------------------------------------------------
    async def _grant(self, form: dict[str, str]) -> None:
        self.token_requests += 1
        try:
            r = await self.http.post("/connect/token", data={"client_id": self.client_id, **form})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise LimeUnreachable(f"Lime is not reachable: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:  # a token request changes nothing: safe to call it so
            raise LimeUnreachable(f"no answer to the token request: {type(exc).__name__}"
                                  ) from None
        if r.status_code >= 500:
            raise LimeUnreachable(f"Lime answered {r.status_code} to the token request")
        body = _json(r)
        if r.status_code != 200 or "access_token" not in body:
            raise LimeAuthFailed(r.status_code, str(body.get("error", "")),
                                 str(body.get("error_description", "token refused")))
        self.access = Secret(str(body["access_token"]))
        refresh = body.get("refresh_token")
        self.refresh = Secret(str(refresh)) if refresh else None
        self.expires_at = self.clock() + float(body.get("expires_in", 3600)) - EARLY

    async def token(self, *, force: bool = False) -> Secret:
        """A valid access token: the one we have, a refreshed one, or a new password grant."""
        if self.access is not None and not force and self.clock() < self.expires_at:
            return self.access
        if self.refresh is not None:
            try:
                await self._grant({"grant_type": "refresh_token",
                                   "refresh_token": self.refresh.reveal()})
            except LimeAuthFailed:  # the refresh token expired too: log in again
                self.refresh = None
            else:
                assert self.access is not None
                return self.access
        await self._grant({"grant_type": "password", "username": self.username,
                           "password": self.password.reveal()})
        assert self.access is not None
        return self.access

    # --- one call -------------------------------------------------------------------------
    async def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                   body: Any = None, changes: bool = False) -> Any:
        """One API call with the bearer token; a 401 refreshes the token once. ``changes``:
        the call has an effect, so a lost answer is ``LimeNoAnswer``, not unreachable."""
        for attempt in (1, 2):
            token = await self.token(force=attempt == 2)
            try:
                r = await self.http.request(method, f"{API}/{path}", params=params, json=body,
                                            headers={"Authorization": f"Bearer {token.reveal()}"})
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise LimeUnreachable(f"Lime is not reachable: {type(exc).__name__}") from None
            except httpx.HTTPError as exc:
                if changes:
                    raise LimeNoAnswer(f"{path}: no answer ({type(exc).__name__})") from None
                raise LimeUnreachable(f"{path}: no answer ({type(exc).__name__})") from None
            if r.status_code == 401 and attempt == 1:
                log.info("lime: token refused on %s; refreshing once", path)
                continue
            if r.status_code == 503:
                raise LimeUnreachable(f"Lime is not serving ({path}: 503)")
            if r.status_code >= 500:
                if changes:
                    raise LimeNoAnswer(f"{path}: Lime failed with {r.status_code}")
                raise LimeUnreachable(f"{path}: Lime failed with {r.status_code}")
            data = _json(r)
            if r.status_code == 401:
                raise LimeAuthFailed(401, "unauthorized", "the token is refused after a refresh")
            if r.status_code >= 400:
                raise LimeRefused(r.status_code, str(data.get("error", "")),
                                  str(data.get("message", r.reason_phrase)))
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the calls ------------------------------------------------------------------------
    async def card_info(self, installation_id: int, *, uid: str | None = None,
                        card_id: int | None = None) -> CardInfo | None:
        """The card and its rights; None if Lime does not know it."""
        params: dict[str, Any] = {"installationId": installation_id}
        if uid is not None:
            params["uid"] = uid
        if card_id is not None:
            params["cardId"] = card_id
        try:
            data = await self.call("GET", "GetCardInfo", params=params)
        except LimeRefused as exc:
            if exc.status == 404 and exc.code in ("card_not_found", ""):
                return None
            raise
        return wire.card_info(data, self.tz)

    async def shift(self, cashdesk_id: int) -> dict[str, Any] | None:
        data = await self.call("GET", "GetShift", params={"cashdeskId": cashdesk_id})
        return data if isinstance(data, dict) and data.get("id") else None

    async def open_shift(self, cashdesk_id: int) -> dict[str, Any]:
        data: dict[str, Any] = await self.call("POST", "OpenShift",
                                               params={"cashdeskId": cashdesk_id})
        return data

    async def ensure_shift(self, cashdesk_id: int) -> dict[str, Any]:
        """The cashdesk's open shift, opened now if there is none."""
        return await self.shift(cashdesk_id) or await self.open_shift(cashdesk_id)

    async def next_check_id(self, cashdesk_id: int) -> int:
        data = await self.call("GET", "GetNextCheckId", params={"cashdeskId": cashdesk_id})
        return int(data["id"] if isinstance(data, dict) else data)

    async def put_check(self, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = await self.call("POST", "PutCheck", body=body, changes=True)
        return data


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        data = r.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"value": data}
