"""The fiscal routes from the outside: the CLI and the console ask through this, over any
client with ``request(method, path, **kw)`` (``kassa.api.client.AdminClient``)."""

from __future__ import annotations

import uuid
from typing import Any

import anyio

from kassa.api.client import HubUnavailable

RETRIES = 3  # an action is re-sent with its key when the hub was unreachable: never twice


def new_key(prefix: str = "cli") -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


class FiscalClient:
    def __init__(self, api: Any, locale: str = "ru", *, retry_delay: float = 0.5) -> None:
        self.api = api
        self.locale = locale
        self.retry_delay = retry_delay  # seconds before the first re-send; doubles

    async def status(self, *, site: str | None = None,
                     register: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"site": site, "register": register,
                                    "locale": self.locale}.items() if v}
        data: list[dict[str, Any]] = await self.api.request("GET", "/api/fiscal/status",
                                                            params=params)
        return data

    async def act(self, action: str, *, key: str, site: str | None = None,
                  register: str | None = None, **fields: Any) -> dict[str, Any]:
        """POST the action; a lost connection is retried with the same key, so the hub's
        journal answers the first attempt's document instead of printing again."""
        body = {"site": site, "register": register, "key": key, "locale": self.locale,
                **{k: v for k, v in fields.items() if v is not None}}
        for attempt in range(RETRIES + 1):
            try:
                data: dict[str, Any] = await self.api.request(
                    "POST", f"/api/fiscal/{action}", json=body)
                return data
            except HubUnavailable:
                if attempt == RETRIES:
                    raise
                await anyio.sleep(self.retry_delay * 2 ** attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def last(self, *, site: str | None = None, register: str | None = None,
                   qr: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {k: v for k, v in {"site": site, "register": register,
                                                    "locale": self.locale}.items() if v}
        if qr:
            params["qr"] = "true"
        data: dict[str, Any] = await self.api.request("GET", "/api/fiscal/last", params=params)
        return data
