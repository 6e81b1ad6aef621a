"""The admin API's fiscal routes (under ``/api``, behind its token): registers' status, the
actions, and the last document. Errors answer ``{"error": {code, message}}`` with the
message in ``?locale=`` (default: the hub's)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from sqlalchemy import select

from kassa.errors import KassaError, UserError
from kassa.fiscal_ops import actions, registers
from kassa.fiscal_ops.texts import say
from kassa.journal import DONE
from kassa.model import DocumentKind, FiscalDocument


def _err(exc: UserError) -> Response[Any]:
    status = getattr(exc, "status", 400)
    code = getattr(exc, "code", "bad_request")
    return Response({"error": {"code": code, "message": str(exc)}}, status_code=status)


def routes(hub: Any) -> list[Any]:
    """The route handlers, bound to ``hub`` (``kassa.api.app`` mounts them under /api)."""

    def loc(locale: str | None) -> str:
        return locale if locale in ("ru", "en") else hub.locale

    def installed() -> list[str]:
        return list(hub.fiscal_devices)

    async def one_status(reg: registers.Register, locale: str) -> dict[str, Any]:
        out: dict[str, Any] = {"site": reg.site, "register": reg.name, "station": reg.station}
        try:
            st = await hub.fiscal.status(site=reg.site, station=reg.station, device=reg.name)
        except (KassaError, OSError, TimeoutError) as exc:
            out.update(reachable=False, error=say("err.unreachable", locale, error=exc))
            return out
        out.update(reachable=True, status=registers.status_data(st, hub.clock.now()))
        last = await last_documents(hub, reg.name, limit=1)
        out["last"] = registers.document_data(last[0]) if last else None
        return out

    @get("/fiscal/status")
    async def status(site: str | None = None, register: str | None = None,
                     locale: str | None = None) -> Response[Any]:
        lc = loc(locale)
        try:
            if site or register:
                found = registers.find(hub.settings, installed(), site=site or None,
                                       register=register or None, locale=lc)
            else:
                found = registers.registers(hub.settings, installed())
        except UserError as exc:
            return _err(exc)
        return Response([await one_status(r, lc) for r in found])

    @post("/fiscal/{action:str}", status_code=200)
    async def act(action: str, data: dict[str, Any]) -> Response[Any]:
        lc = loc(data.get("locale"))
        try:
            reg = registers.one(hub.settings, installed(), site=data.get("site") or None,
                                register=data.get("register") or None, locale=lc)
            doc, replayed = await actions.run(hub, reg, action, data,
                                              key=str(data.get("key") or ""), locale=lc)
        except UserError as exc:
            return _err(exc)
        return Response({"site": reg.site, "register": reg.name, "replayed": replayed,
                         "document": registers.document_data(doc)})

    @get("/fiscal/last")
    async def last(site: str | None = None, register: str | None = None,
                   qr: bool = False, locale: str | None = None) -> Response[Any]:
        lc = loc(locale)
        try:
            reg = registers.one(hub.settings, installed(), site=site or None,
                                register=register or None, locale=lc)
        except UserError as exc:
            return _err(exc)
        docs = await last_documents(hub, reg.name, limit=50, with_qr=qr)
        if not docs:
            text = say("err.no_qr" if qr else "err.no_doc", lc, register=reg.name)
            return Response({"error": {"code": "not_found", "message": text}}, status_code=404)
        return Response({"site": reg.site, "register": reg.name,
                         "document": registers.document_data(docs[0])})

    return [status, act, last]


async def last_documents(hub: Any, register: str, *, limit: int = 1,
                         with_qr: bool = False) -> list[FiscalDocument]:
    """The register's newest documents from the journal (what it answered, kept there)."""
    from kassa import codec
    from kassa.store.tables import JournalRow

    t = JournalRow.__table__  # type: ignore[attr-defined]
    q = (select(t.c.result).where(t.c.concern == "fiscal", t.c.component == register,
                                  t.c.status == DONE).order_by(t.c.id.desc()).limit(limit))
    if with_qr:
        q = q.where(t.c.kind.in_(("receipt", "correction")))
    async with hub.store.read() as conn:
        rows = (await conn.execute(q)).all()
    docs = [codec.loads(r.result, FiscalDocument) for r in rows if r.result]
    return [d for d in docs if not with_qr or d.kind in (DocumentKind.RECEIPT,
                                                        DocumentKind.CORRECTION)]
