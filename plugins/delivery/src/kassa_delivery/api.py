"""The drivers' API under ``/api/delivery/v1`` on the hub's HTTP server.

Every call carries ``X-Api-Key`` (``[delivery] api_keys``: a driver's own key or a delivery
app's, with rights pay / read / report); ``POST /payments`` also ``Idempotency-Key``. Errors
are always ``{"error": {"code", "message"}}``, the message in the hub's locale (ru by default).
The OpenAPI document is ``GET /api/delivery/v1/openapi.json`` (no key: it holds no data).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Annotated, Any

from kassa.secret import Secret
from litestar import Litestar, Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.params import Parameter

from kassa_delivery import wire
from kassa_delivery.errors import DeliveryError
from kassa_delivery.service import locale_of, service_for, settings_of
from kassa_delivery.settings import ApiKey

PREFIX = "/api/delivery/v1"
IdemKey = Annotated[str | None, Parameter(header="Idempotency-Key", required=False,
                                          description="client-made, 1-200 characters; a "
                                          "replay answers the first call's job")]


class HubRef:
    """Carries the hub through Litestar's route ``opt``, which deep-copies everything else."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def __deepcopy__(self, memo: Any) -> HubRef:
        return self


def _hub(request: ASGIConnection[Any, Any, Any, Any] | Request[Any, Any, Any]) -> Any:
    return request.route_handler.opt["delivery_hub"].hub


def key_matches(k: ApiKey, given: str) -> bool:
    """A key is kept as is (a Secret) or as ``sha256:<hex>`` of it; compared in constant time."""
    stored = k.key.reveal()
    if stored.startswith("sha256:"):
        return hmac.compare_digest(hashlib.sha256(given.encode()).hexdigest(), stored[7:])
    return hmac.compare_digest(given.encode(), stored.encode())


def _guard(right: str) -> Any:
    def guard(conn: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        hub = _hub(conn)
        given = conn.headers.get("x-api-key", "")
        if not given and right in ("read", "report") and _admin(hub, conn):
            conn.state.api_key = ADMIN  # the console's and `kassa delivery jobs`' token: reads
            return
        for k in settings_of(hub).api_keys if given else []:
            if key_matches(k, given):
                if right not in k.rights:
                    raise DeliveryError(403, "forbidden", locale_of(hub), right=right)
                conn.state.api_key = k
                return
        raise DeliveryError(401, "unauthorized", locale_of(hub))
    return guard


ADMIN = ApiKey(name="admin", key=Secret(""), rights=["read", "report"])


def _admin(hub: Any, conn: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The hub's admin token (``Authorization: Bearer``) may read, never take payments."""
    token = str(getattr(hub, "api_token", "") or "")
    got = conn.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(got.encode(), f"Bearer {token}".encode())


def _error(status: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def _delivery_error(_: Request[Any, Any, Any], exc: DeliveryError) -> Response[dict[str, Any]]:
    return _error(exc.status, exc.code, exc.text())


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    loc = _locale(request)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    if code:
        return _error(exc.status_code, code, DeliveryError(exc.status_code, code, loc).text())
    if exc.status_code >= 500:
        return _internal(request, exc)
    extra = exc.extra if isinstance(exc.extra, list) else []
    detail = "; ".join(f"{e.get('key', '?')}: {e.get('message', '')}" for e in extra
                       if isinstance(e, dict)) or str(exc.detail)
    err = DeliveryError(400, "invalid_request", loc, detail=detail[:300])
    return _error(400, err.code, err.text())


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    import logging

    logging.getLogger("kassa.delivery").error("delivery API: %s", type(exc).__name__,
                                              exc_info=exc)
    return _error(500, "internal", DeliveryError(500, "internal", _locale(request)).text())


def _locale(request: Request[Any, Any, Any]) -> str:
    try:
        return locale_of(_hub(request))
    except Exception:  # no route matched: no handler, no hub
        return "ru"


@post("/payments", guards=[_guard("pay")], status_code=202, summary="A driver took a payment")
async def payment_taken(request: Request[Any, Any, Any], data: wire.PaymentTaken,
                        idempotency_key: IdemKey = None) -> Response[dict[str, Any]]:
    hub = _hub(request)
    if not idempotency_key or len(idempotency_key) > 200:
        raise DeliveryError(400, "idempotency_key_missing", locale_of(hub))
    key: ApiKey = request.state.api_key
    if key.driver and key.driver != data.driver:
        raise DeliveryError(403, "driver_mismatch", locale_of(hub), own=key.driver,
                            driver=data.driver)
    view, created = await service_for(hub).accept(key.name, idempotency_key, data)
    return Response(view, status_code=202, headers={"Location": f"{PREFIX}/jobs/{view['job_id']}",
                                                    "Idempotent-Replay": str(not created).lower()})


@post("/orders/{order_id:str}/refunds", guards=[_guard("pay")], status_code=202,
      summary="A return of (part of) a paid order: a return-of-sale receipt (1054 = 2)")
async def refund_taken(request: Request[Any, Any, Any],
                       order_id: Annotated[str, Parameter(max_length=64,
                                                          pattern=r"^[A-Za-z0-9._:/-]+$")],
                       data: wire.RefundTaken,
                       idempotency_key: IdemKey = None) -> Response[dict[str, Any]]:
    hub = _hub(request)
    if not idempotency_key or len(idempotency_key) > 200:
        raise DeliveryError(400, "idempotency_key_missing", locale_of(hub))
    key: ApiKey = request.state.api_key
    view, created = await service_for(hub).accept_refund(key.name, idempotency_key, order_id,
                                                         data, own_driver=key.driver)
    return Response(view, status_code=202, headers={"Location": f"{PREFIX}/jobs/{view['job_id']}",
                                                    "Idempotent-Replay": str(not created).lower()})


@get("/jobs/{job_id:int}", guards=[_guard("read")], summary="A job's status")
async def job_status(request: Request[Any, Any, Any],
                     job_id: Annotated[int, Parameter(ge=1, le=2**62)]) -> dict[str, Any]:
    hub = _hub(request)
    view = await service_for(hub).job(job_id)
    key: ApiKey = request.state.api_key
    if view is None or (key.driver and view["driver"] != key.driver):
        raise DeliveryError(404, "unknown_job", locale_of(hub), job=job_id)
    return view


@get("/jobs/{job_id:int}/ofd", guards=[_guard("read")],
     summary="Was the job's receipt sent? (asks kassa-ofd, when installed)")
async def job_at_ofd(request: Request[Any, Any, Any],
                     job_id: Annotated[int, Parameter(ge=1, le=2**62)]) -> dict[str, Any]:
    hub = _hub(request)
    svc = service_for(hub)
    row = await svc.row(job_id)
    key: ApiKey = request.state.api_key
    if row is None or (key.driver and row["driver"] != key.driver):
        raise DeliveryError(404, "unknown_job", locale_of(hub), job=job_id)
    if not row["document"]:
        raise DeliveryError(409, "not_fiscalised", locale_of(hub), job=job_id)
    return await ask_ofd(hub, row)


async def ask_ofd(hub: Any, row: dict[str, Any]) -> dict[str, Any]:
    """kassa-ofd's ``POST /api/ofd/v1/sent`` on this same hub, over HTTP (no import of it)."""
    import json

    import httpx

    host = hub.settings.api.host
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # listen-all: loopback
    url = f"http://{host}:{hub.api_port}/api/ofd/v1/sent"
    loc = locale_of(hub)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.post(url, json=json.loads(row["document"]),
                                headers={"Authorization": f"Bearer {hub.api_token}"})
    except httpx.HTTPError as exc:
        raise DeliveryError(503, "ofd_unavailable", loc, why=type(exc).__name__) from None
    if r.status_code == 404:
        raise DeliveryError(404, "ofd_not_installed", loc)
    if r.status_code != 200:
        try:
            why = str(r.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            why = f"HTTP {r.status_code}"
        raise DeliveryError(503, "ofd_unavailable", loc, why=why[:200])
    sent: dict[str, Any] = r.json()
    return {"job_id": row["id"], "ofd": sent, "copy": row["copy_status"]}


@get("/orders/{order_id:str}", guards=[_guard("read")], summary="An order's jobs")
async def order_status(request: Request[Any, Any, Any], order_id: str) -> list[dict[str, Any]]:
    hub = _hub(request)
    key: ApiKey = request.state.api_key
    found = await service_for(hub).jobs(order=order_id[:64], driver=key.driver or None,
                                        limit=50)
    if not found:
        raise DeliveryError(404, "unknown_order", locale_of(hub), order=order_id[:64])
    return found


@get("/jobs", guards=[_guard("read")], summary="Recent jobs, newest first")
async def jobs(request: Request[Any, Any, Any],
               status: Annotated[str | None, Parameter(
                   pattern="^(queued|fiscalised|failed|skipped)$")] = None,
               limit: Annotated[int, Parameter(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    hub = _hub(request)
    key: ApiKey = request.state.api_key
    return await service_for(hub).jobs(status=status, driver=key.driver or None, limit=limit)


@get("/drivers/{driver:str}/summary", guards=[_guard("read")], summary="A driver's shift")
async def driver_summary(request: Request[Any, Any, Any], driver: str,
                         day: Annotated[str | None, Parameter(max_length=10)] = None,
                         ) -> dict[str, Any]:
    hub = _hub(request)
    key: ApiKey = request.state.api_key
    if key.driver and key.driver != driver:
        raise DeliveryError(403, "driver_mismatch", locale_of(hub), own=key.driver,
                            driver=driver)
    svc = service_for(hub)
    if svc.cfg.driver(driver) is None:
        raise DeliveryError(404, "unknown_driver", locale_of(hub), driver=driver[:64])
    try:
        d = date.fromisoformat(day) if day else hub.clock.now().astimezone(svc.zone()).date()
    except ValueError:
        raise DeliveryError(400, "bad_date", locale_of(hub), value=day[:10] if day else ""
                            ) from None
    return await svc.summary(driver, d)


HANDLERS = [payment_taken, refund_taken, job_status, job_at_ofd, order_status, jobs, driver_summary]
EXCEPTIONS: dict[Any, Any] = {DeliveryError: _delivery_error, HTTPException: _http_error,
                              Exception: _internal}


def _routes(hub: Any) -> Router:
    return Router(path=PREFIX, route_handlers=HANDLERS, exception_handlers=EXCEPTIONS,
                  tags=["delivery"], opt={"delivery_hub": HubRef(hub)})


_SCHEMA: dict[str, Any] = {}


def openapi() -> dict[str, Any]:
    """The API's OpenAPI document (the hub's own app serves none), built once."""
    if not _SCHEMA:
        from litestar.openapi.spec import Components, SecurityScheme

        key = SecurityScheme(type="apiKey", name="X-Api-Key", security_scheme_in="header",
                             description="a key from [delivery] api_keys")
        cfg = OpenAPIConfig(title="Kassa delivery API", version="1",
                            components=Components(security_schemes={"ApiKey": key}),
                            security=[{"ApiKey": []}])
        app = Litestar(route_handlers=[_routes(None)], logging_config=None, openapi_config=cfg)
        _SCHEMA.update(app.openapi_schema.to_schema())
    return _SCHEMA


@get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
async def openapi_json() -> dict[str, Any]:
    return openapi()


def router(hub: Any) -> Router:
    """The API for one hub (the hub rides in ``opt``; handlers and guards read it there)."""
    return Router(path=PREFIX, route_handlers=[*HANDLERS, openapi_json],
                  exception_handlers=EXCEPTIONS, tags=["delivery"],
                  opt={"delivery_hub": HubRef(hub)})
