"""OFD.ru merchant API v1 ("Чеки и ККТ", ofd_video.md A.1) and the FNS receipt check.

Auth: ``POST /api/Authorization/CreateAuthToken {"Login","Password"}`` -> ``AuthToken`` and
``ExpirationDateUtc``; the token rides in the ``AuthToken`` query parameter of every call.
We renew it a minute before it expires, and once more when the OFD answers 401/403 on a
call (a token revoked early). Errors map to the shared ones: a refused login or access ->
``Permanent``; 429 -> a short wait (``Retry-After``) then ``RetryLater``; 5xx or no link ->
``RetryLater``; a ``Status`` other than ``Success`` -> ``UserError`` with the OFD's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import ReceiptQr

from kassa_ofd import wire
from kassa_ofd.settings import OfdSettings
from kassa_ofd.texts import say

log = logging.getLogger(__name__)
WINDOW = timedelta(days=30)  # "Период не должен превышать 30 дней" (A.1)
RENEW_BEFORE = timedelta(minutes=1)


class OfdClient:
    """One OFD.ru account. ``transport`` is for tests; ``now`` drives token expiry."""

    def __init__(self, cfg: OfdSettings, *, now: Callable[[], datetime] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.cfg = cfg
        self.tz = ZoneInfo(cfg.timezone)
        self.now = now or (lambda: datetime.now(UTC))
        self._http = httpx.AsyncClient(timeout=cfg.request_timeout, transport=transport)
        self._token: str | None = None
        self._expires: datetime | None = None
        self.logins = 0  # tokens minted (tests, health)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- auth ----------------------------------------------------------------------------
    async def _login(self) -> str:
        body = {"Login": self.cfg.login, "Password": self.cfg.password.reveal()}
        r = await self._send("POST", f"{self.cfg.base_url}/api/Authorization/CreateAuthToken",
                             json=body)
        if r.status_code in (400, 401, 403):
            raise Permanent(say("auth", self.cfg.locale))
        data = self._json(r)
        token = data.get("AuthToken") if isinstance(data, dict) else None
        if not token:
            raise Permanent(say("auth", self.cfg.locale))
        exp = data.get("ExpirationDateUtc")
        self._expires = (wire.parse_stamp(exp, UTC) if isinstance(exp, str) and exp
                         else self.now() + timedelta(hours=1))
        self._token = str(token)
        self.logins += 1
        return self._token

    async def _auth(self) -> str:
        if self._token and self._expires and self.now() < self._expires - RENEW_BEFORE:
            return self._token
        return await self._login()

    # --- transport -----------------------------------------------------------------------
    async def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """One HTTP exchange with the 429 policy: wait ``Retry-After`` (when short) and try
        again ``retries`` times; 5xx or a broken link: ``RetryLater`` (reads only: safe)."""
        for attempt in range(self.cfg.retries + 1):
            try:
                r = await self._http.request(method, url, **kw)
            except httpx.HTTPError as exc:
                raise RetryLater(say("unavailable", self.cfg.locale,
                                     why=type(exc).__name__)) from None
            if r.status_code == 429:
                after = _retry_after(r)
                if attempt < self.cfg.retries and after <= self.cfg.max_retry_wait:
                    await anyio.sleep(after)
                    continue
                raise RetryLater(say("unavailable", self.cfg.locale, why="HTTP 429"),
                                 after=after)
            if r.status_code >= 500:
                raise RetryLater(say("unavailable", self.cfg.locale,
                                     why=f"HTTP {r.status_code}"), after=_retry_after(r))
            return r
        raise AssertionError("unreachable")

    def _json(self, r: httpx.Response) -> Any:
        try:
            return r.json()
        except ValueError:
            raise RetryLater(say("unavailable", self.cfg.locale,
                                 why=f"HTTP {r.status_code}, not JSON")) from None

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """``Data`` of a ``{"Status": "Success", "Data": ...}`` answer."""
        if not self.cfg.configured:
            raise Permanent(say("not_configured", self.cfg.locale))
        url = f"{self.cfg.base_url}/api/integration/v1/inn/{self.cfg.inn}{path}"
        for fresh in (False, True):
            token = await (self._login() if fresh else self._auth())
            r = await self._send("GET", url, params={**(params or {}), "AuthToken": token})
            if r.status_code in (401, 403):
                self._token = None
                if not fresh:
                    continue  # revoked or expired early: one new token, then give up
                raise Permanent(say("denied", self.cfg.locale, inn=self.cfg.inn))
            if r.status_code == 404:
                return None
            data = self._json(r)
            if not isinstance(data, dict) or data.get("Status") != "Success":
                errors = data.get("Errors") if isinstance(data, dict) else None
                raise UserError(say("refused", self.cfg.locale,
                                    text="; ".join(map(str, errors or [])) or r.status_code))
            return data.get("Data")
        raise AssertionError("unreachable")

    # --- merchant calls ------------------------------------------------------------------
    async def kkts(self, *, fn: str | None = None, reg_number: str | None = None
                   ) -> list[wire.Kkt]:
        """The account's registers with their last exchange (``LastDocOnOfdDateTimeUtc``)."""
        params = {k: v for k, v in (("FNSerialNumber", fn), ("KKTRegNumber", reg_number)) if v}
        data = await self._get("/kkts", params)
        return [wire.kkt(item, self.tz) for item in data or []]

    async def kkt_of(self, fn: str) -> wire.Kkt:
        found = [k for k in await self.kkts(fn=fn) if k.fn == fn]
        if not found:
            raise UserError(say("no_kkt", self.cfg.locale, fn=fn))
        return found[0]

    async def receipts(self, reg_number: str, since: datetime, until: datetime
                       ) -> list[wire.OfdReceipt]:
        """Receipts of one register issued in [since, until], paged by 30-day windows (the
        API caps a request at 30 days and documents no other paging)."""
        out: list[wire.OfdReceipt] = []
        start = since
        while start < until:
            end = min(start + WINDOW, until)
            data = await self._get(f"/kkt/{reg_number}/receipts", {
                "dateFrom": wire.stamp(start, self.tz), "dateTo": wire.stamp(end, self.tz)})
            out += [wire.receipt(item, self.tz) for item in data or []]
            start = end + timedelta(seconds=1)  # dateTo is inclusive to the second
        return out

    async def document(self, reg_number: str, raw_id: str) -> dict[str, Any] | None:
        """The full document (``receipt/{RawId}``: A.3 names), None if unknown."""
        data = await self._get(f"/kkt/{reg_number}/receipt/{raw_id}")
        return data if isinstance(data, dict) else None

    async def find(self, fn: str, number: int, *, near: datetime | None = None,
                   fiscal_sign: str | None = None, days: int = 3) -> wire.OfdReceipt | None:
        """One receipt by FN + FD (+ FP): the API has no such lookup (A.1), so the register
        is found by its FN and its receipts listed around ``near`` (now if None)."""
        kkt = await self.kkt_of(fn)
        at = near or self.now()
        for r in await self.receipts(kkt.reg_number, at - timedelta(days=days),
                                     at + timedelta(days=1)):
            if r.fn == fn and r.number == number and (
                    fiscal_sign is None or r.fiscal_sign is None
                    or int(r.fiscal_sign) == int(fiscal_sign)):
                return r
        return None

    # --- FNS check -----------------------------------------------------------------------
    async def fns_check(self, qr: ReceiptQr) -> bool:
        """The legacy FNS check (fiscal.md §9): 204 = the receipt exists with this FP, date
        and sum; 406 (or 404) = no such receipt."""
        url = (f"{self.cfg.fns_url}/v1/ofds/*/inns/*/fss/{qr.fn}/operations/"
               f"{int(qr.operation)}/tickets/{qr.number}")
        params = {"fiscalSign": str(int(qr.fiscal_sign)), "date": f"{qr.at:%Y-%m-%dT%H:%M:%S}",
                  "sum": str(qr.total)}
        try:
            r = await self._send("GET", url, params=params)
        except RetryLater as exc:
            raise RetryLater(say("fns_unavailable", self.cfg.locale, why=str(exc)),
                             after=exc.after) from None
        if r.status_code == 204:
            return True
        if r.status_code in (404, 406):
            return False
        raise RetryLater(say("fns_unavailable", self.cfg.locale, why=f"HTTP {r.status_code}"))


def _retry_after(r: httpx.Response) -> float:
    try:
        return max(0.0, float(r.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0
