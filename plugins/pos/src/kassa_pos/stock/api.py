"""The store hub's stock API (the admin token, as the core's API), what ``kassa pos stock``
and a back office call:

- ``POST /api/pos/stock/v1/documents``: post one document (``stock.book.parse``'s JSON, plus
  ``posted_by``); answers what moved (a repeat of its id: ``replay`` and the first posting's
  moves). A refused document is the core's 400 with the sentence.
- ``GET /api/pos/stock/v1/levels[?item=CODE...]``: each item's level now.
- ``POST /api/pos/stock/v1/labels``: price tags (or barcode labels) as a PDF written on the
  hub (``labels.batch.on_hub``: ``{"since": "last" | DATE}`` or ``{"codes": [...]}``, with
  ``kind``, ``layout``, ``file``); answers the file, the items printed and those refused.

``?locale=en`` gives a refusal's sentence in English (Russian by default). The centre of a
chain has no store: ``register_routes`` mounts these on a store's hub only.
"""

from __future__ import annotations

import secrets as pysecrets
from typing import Any

from kassa_pos.stock.book import StockBook, StockError, parse

PREFIX = "/api/pos/stock/v1"


def router(hub: Any) -> Any:
    from kassa.errors import UserError
    from litestar import Request, Router, get, post
    from litestar.connection import ASGIConnection
    from litestar.exceptions import ClientException, NotAuthorizedException
    from litestar.handlers import BaseRouteHandler

    def guard(conn: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        token = str(getattr(hub, "api_token", "") or "")
        got = conn.headers.get("authorization", "")
        if not token or not pysecrets.compare_digest(got.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException("a valid 'Authorization: Bearer <token>' is required")

    def locale_of(request: Request[Any, Any, Any]) -> str:
        return "en" if request.query_params.get("locale") == "en" else "ru"

    @post("/documents", status_code=200)
    async def post_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
        raw = await request.json()
        locale = locale_of(request)
        try:
            doc = parse(raw)
            by = str((raw.get("posted_by") if isinstance(raw, dict) else "") or "api")[:100]
            done = await StockBook.of(hub).post(doc, by=by)
        except StockError as exc:
            raise ClientException(exc.text(locale)) from None
        return {"id": doc.id, "kind": doc.kind.value, "replay": done.replay,
                "moves": [[code, str(q)] for code, q in done.moves],
                "book": {c: str(q) for c, q in done.book.items()} if done.book else None}

    @get("/levels")
    async def levels(item: list[str] | None = None) -> dict[str, Any]:
        found = await StockBook.of(hub).levels(item or None)
        return {"levels": {code: str(q) for code, q in sorted(found.items())}}

    @post("/labels", status_code=200)
    async def labels(request: Request[Any, Any, Any]) -> dict[str, Any]:
        raw = await request.json()
        locale = locale_of(request)
        from kassa_pos.labels import needs_extra

        try:
            from kassa_pos.labels.batch import on_hub
        except ModuleNotFoundError as exc:  # reportlab / matplotlib: the labels extra
            raise ClientException(needs_extra(exc.name, locale)) from None
        try:
            return await on_hub(hub, raw, locale=locale)
        except UserError as exc:  # LabelError, LayoutError: a sentence in either language
            text = getattr(exc, "text", None)
            raise ClientException(text(locale) if callable(text) else str(exc)) from None

    return Router(PREFIX, route_handlers=[post_document, levels, labels], guards=[guard])
