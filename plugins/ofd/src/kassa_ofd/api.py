"""Routes under ``/api/ofd/v1`` on the hub's HTTP app, with the hub's admin token
(``Authorization: Bearer``), so other plugins (delivery) and the console reach the OFD
functions without importing this plugin:

- ``POST /sent`` with a FiscalDocument (``kassa.codec`` JSON) -> ``SentStatus``;
- ``GET /receipt?fn=&fd=`` -> the OFD's list item and full document (404 if it has none);
- ``GET /check?qr=`` -> the QR check outcome and its sentence.
Errors: ``{"error": {"code", "message"}}``; the OFD down is 503 with ``Retry-After``.
"""

from __future__ import annotations

import hmac
from typing import Any

from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import FiscalDocument
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler

from kassa_ofd.check import check_qr
from kassa_ofd.service import service_for

PREFIX = "/api/ofd/v1"


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None
           ) -> Response[Any]:
    return Response({"error": {"code": code, "message": message}}, status_code=status,
                    headers=headers)


def _kassa_error(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, RetryLater):
        return _error(503, "ofd_unavailable", str(exc), {"Retry-After": f"{exc.after or 60:.0f}"})
    if isinstance(exc, Permanent):
        return _error(502, "ofd_refused", str(exc))
    return _error(400, "bad_request", str(exc))


def router(hub: Any) -> Router:
    token = str(getattr(hub, "api_token", "") or "")

    def guard(conn: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        got = conn.headers.get("authorization", "")
        if not token or not hmac.compare_digest(got.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException("a valid 'Authorization: Bearer <token>' is required")

    @post("/sent", status_code=200)
    async def sent(data: dict[str, Any]) -> dict[str, Any]:
        try:
            doc = codec.from_dict(data, FiscalDocument)
        except Exception as exc:
            raise UserError(f"not a FiscalDocument: {exc}") from None
        result: dict[str, Any] = codec.to_dict(await service_for(hub).was_sent(doc))
        return result

    @get("/receipt")
    async def receipt(fn: str, fd: int) -> Response[Any]:
        found = await service_for(hub).receipt(fn, fd)
        if found is None:
            return _error(404, "not_found", f"the OFD has no document FN {fn} No. {fd}")
        item, document = found
        return Response({"receipt": codec.to_dict(item), "document": document})

    @get("/check")
    async def check(qr: str) -> dict[str, Any]:
        svc = service_for(hub)
        r = await check_qr(svc.client, qr, svc.tz, locale=svc.cfg.locale)
        return {"outcome": str(r.outcome), "message": r.message,
                "at_ofd": codec.to_dict(r.at_ofd) if r.at_ofd else None}

    return Router(PREFIX, route_handlers=[sent, receipt, check], guards=[guard],
                  exception_handlers={UserError: _kassa_error, RetryLater: _kassa_error,
                                      Permanent: _kassa_error})
