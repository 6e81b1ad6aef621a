"""The REST JSON API under ``/api/bonus/v1`` for external systems (site, delivery, app).

Every call carries ``X-Api-Key`` (a key from ``[bonus] api_keys`` with scopes read / write /
admin); reads also take the hub's admin token (``Authorization: Bearer``, what the operator
console holds); every write carries ``Idempotency-Key``: a replay answers exactly what the
first call did, the same key with another body is 409 ``idempotency_key_reused``. Errors are always
``{"error": {"code", "message"}}``. Nothing personal is logged.
"""

from __future__ import annotations

import datetime as dt
import hmac
from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.params import Parameter

from kassa_bonus import api_wire as w
from kassa_bonus.history import history_page
from kassa_bonus.service import BonusService, HubRef, service_for
from kassa_bonus.store import LedgerError

PREFIX = "/api/bonus/v1"
IdemKey = Annotated[str, Parameter(header="Idempotency-Key", min_length=1, max_length=255,
                                   description="client-generated key; replays are answered "
                                   "from the first call")]

_STATUS = {"unknown": 404, "idempotency_key_reused": 409, "already_reversed": 409,
           "hold_captured": 409, "hold_voided": 409, "hold_expired": 409, "phone_taken": 409,
           "identifier_taken": 409, "identifier_inactive": 409, "not_captured": 409,
           "bad_idempotency_key": 400}


def status_of(code: str) -> int:
    return _STATUS.get(code) or (404 if code.startswith("unknown") else 422)


def error(status: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def _ledger_error(_: Request[Any, Any, Any], exc: LedgerError) -> Response[dict[str, Any]]:
    return error(status_of(exc.code), exc.code, str(exc))


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    message = exc.detail if exc.status_code != 400 else _validation_text(exc)
    return error(exc.status_code, code, message)


def _validation_text(exc: HTTPException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts = [f"{e.get('key', '?')}: {e.get('message', '')}" for e in extra if isinstance(e, dict)]
    return "invalid request" + (": " + "; ".join(parts) if parts else "")


def _internal(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return error(500, "internal", "internal error; the request was not applied")


def _guard(scope: str) -> Any:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        hub = handler.opt["bonus_hub"].hub
        svc_settings = hub.section("bonus")
        given = connection.headers.get("x-api-key", "")
        if not given and scope == "read" and _admin(hub, connection):
            connection.state.api_client = "admin"  # the operator console: it reads only
            return
        for k in svc_settings.api_keys if svc_settings else []:
            if given and hmac.compare_digest(given.encode(), k.key.reveal().encode()):
                if scope in k.scopes or "admin" in k.scopes:
                    connection.state.api_client = k.name
                    return
                raise PermissionDeniedException(f"the key lacks the {scope!r} scope")
        raise NotAuthorizedException("missing or unknown X-Api-Key")
    return guard


def _admin(hub: Any, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The hub's admin token (``Authorization: Bearer``), which the console already holds and
    which can do more than a read key; it never writes here (writes need a key of their own,
    so every posting names the external system that made it)."""
    token = str(getattr(hub, "api_token", "") or "")
    given = connection.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


READ, WRITE = [_guard("read")], [_guard("write")]


def _source(request: Request[Any, Any, Any]) -> str:
    return f"api:{request.state.api_client}"


async def _svc(request: Request[Any, Any, Any]) -> BonusService:
    return await service_for(request.route_handler.opt["bonus_hub"].hub)


@post("/guests", guards=WRITE, status_code=201)
async def create_guest(request: Request[Any, Any, Any], data: w.GuestIn,
                       idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    out = await svc.register(_source(request), idempotency_key, name=data.name, phone=data.phone,
                             email=data.email, birthday=data.birthday, groups=data.groups,
                             consent=data.consent, card=data.card,
                             credit_limit=data.credit_limit)
    return {"operation": out.operation, "guest_id": out.guest,
            "virtual_card": out.detail.get("virtual")}


@get("/guests/{guest_id:str}", guards=READ)
async def read_guest(request: Request[Any, Any, Any], guest_id: str) -> dict[str, Any]:
    return w.guest_out(await (await _svc(request)).guest(guest_id))


@get("/identify", guards=READ)
async def identify(request: Request[Any, Any, Any],
                   identifier: Annotated[str, Parameter(min_length=1, max_length=64)],
                   ) -> dict[str, Any]:
    guest = await (await _svc(request)).identify(identifier)
    if guest is None:
        raise LedgerError("unknown_identifier", "no guest with this identifier")
    return w.guest_out(guest)


@post("/guests/{guest_id:str}/identifiers", guards=WRITE, status_code=201)
async def add_identifier(request: Request[Any, Any, Any], guest_id: str, data: w.IdentifierIn,
                         idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    out = await svc.guests.issue(_source(request), idempotency_key, guest_id, data.kind,
                                 data.value, data.expires_at)
    return {"operation": out.operation, "guest_id": out.guest, **out.detail}


@post("/identifiers/block", guards=WRITE, status_code=200)
async def block_identifier(request: Request[Any, Any, Any], data: w.BlockIn,
                           idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    if (data.new_kind is None) != (data.new_value is None):
        raise LedgerError("bad_request", "new_kind and new_value go together")
    if data.new_kind and data.new_value:
        out = await svc.guests.replace(_source(request), idempotency_key, data.kind, data.value,
                                       data.new_kind, data.new_value, data.reason)
    else:
        out = await svc.guests.block(_source(request), idempotency_key, data.kind, data.value,
                                     data.reason)
    return {"operation": out.operation, "guest_id": out.guest, "status": out.kind}


@get("/guests/{guest_id:str}/balances", guards=READ)
async def balances(request: Request[Any, Any, Any], guest_id: str) -> dict[str, Any]:
    guest = await (await _svc(request)).guest(guest_id)
    return {"guest_id": guest.id, "level": guest.level,
            "accounts": w.guest_out(guest)["accounts"]}


@get("/guests/{guest_id:str}/history", guards=READ)
async def history(request: Request[Any, Any, Any], guest_id: str,
                  limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
                  offset: Annotated[int, Parameter(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    svc = await _svc(request)
    await svc.guest(guest_id)  # 404 for an unknown guest
    return await history_page(svc.store, guest_id, limit, offset)


@post("/quote", guards=READ, status_code=200)
async def quote(request: Request[Any, Any, Any], data: w.OrderIn) -> dict[str, Any]:
    svc = await _svc(request)
    return w.quote_out(await svc.quote(w.order_of(data), await svc.guest(data.guest_id)))


@post("/checks", guards=WRITE, status_code=201)
async def commit_check(request: Request[Any, Any, Any], data: w.OrderIn,
                       idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    p = await svc.check(w.order_of(data), data.guest_id, idempotency_key, data.spend,
                        source=_source(request))
    return {"operation": p.id, "guest_id": p.guest_id, "earned": p.earned, "spent": p.spent,
            "discount": p.discount}


@post("/operations/{operation_id:str}/reverse", guards=WRITE, status_code=200)
async def reverse(request: Request[Any, Any, Any], operation_id: str,
                  idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    return w.outcome_out(await svc.ledger.reverse(_source(request), idempotency_key,
                                                  operation_id))


@post("/earn", guards=WRITE, status_code=201)
async def earn(request: Request[Any, Any, Any], data: w.AmountIn,
               idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)  # the lifetime applies to points; money lots are not kept
    return w.outcome_out(await svc.ledger.earn(_source(request), idempotency_key, data.account,
                                               data.amount, expires_at=svc.lot_expiry()))


@post("/holds", guards=WRITE, status_code=201)
async def create_hold(request: Request[Any, Any, Any], data: w.AmountIn,
                      idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    return w.outcome_out(await svc.ledger.hold(
        _source(request), idempotency_key, data.account, data.amount,
        ttl=timedelta(minutes=svc.settings.hold_minutes)))


@post("/holds/{hold_id:str}/capture", guards=WRITE, status_code=200)
async def capture(request: Request[Any, Any, Any], hold_id: str, data: w.CaptureIn,
                  idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    return w.outcome_out(await svc.ledger.capture(_source(request), idempotency_key, hold_id,
                                                  data.amount))


@post("/holds/{hold_id:str}/void", guards=WRITE, status_code=200)
async def void(request: Request[Any, Any, Any], hold_id: str,
               idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    return w.outcome_out(await svc.ledger.void(_source(request), idempotency_key, hold_id))


@post("/holds/{hold_id:str}/refund", guards=WRITE, status_code=200)
async def refund(request: Request[Any, Any, Any], hold_id: str, data: w.RefundIn,
                 idempotency_key: IdemKey) -> dict[str, Any]:
    svc = await _svc(request)
    return w.outcome_out(await svc.ledger.refund(_source(request), idempotency_key, hold_id,
                                                 data.amount))


@get("/reports/{name:str}", guards=READ)
async def report(request: Request[Any, Any, Any], name: str, start: dt.datetime,
                 end: dt.datetime, site: Annotated[str | None, Parameter(max_length=40)] = None,
                 ) -> dict[str, Any]:
    from kassa import codec
    from kassa.model import Period

    from kassa_bonus.reports import definitions

    found = {d.name: d for d in definitions()}
    if name not in found:
        raise LedgerError("unknown_report", f"no report {name!r}; known: {', '.join(found)}")
    if start.tzinfo is None or end.tzinfo is None or start >= end:
        raise LedgerError("bad_period", "start and end must be timezone-aware, start < end")

    class Ctx:
        hub = request.route_handler.opt["bonus_hub"].hub
        locale = "ru"

    built = await found[name].build(Ctx(), site, Period(start, end))
    return dict(codec.to_dict(built))


HANDLERS = [report, create_guest, read_guest, identify, add_identifier, block_identifier, balances,
            history, quote, commit_check, reverse, earn, create_hold, capture, void, refund]
EXCEPTION_HANDLERS: dict[Any, Any] = {LedgerError: _ledger_error, HTTPException: _http_error,
                                      Exception: _internal}


def router(hub: Any) -> Router:
    """The API for one hub (the hub rides in ``opt``; handlers and guards read it there)."""
    return Router(path=PREFIX, route_handlers=HANDLERS, exception_handlers=EXCEPTION_HANDLERS,
                  tags=["bonus"], opt={"bonus_hub": HubRef(hub)})
