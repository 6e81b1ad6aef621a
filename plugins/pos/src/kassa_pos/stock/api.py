"""The store hub's stock API (the admin token, as the core's API), what ``kassa pos stock``
and a back office call:

- ``POST /api/pos/stock/v1/documents``: post one document (``stock.book.parse``'s JSON, plus
  ``posted_by``); answers what moved (a repeat of its id: ``replay`` and the first posting's
  moves). A refused document is the core's 400 with the sentence.
- ``GET /api/pos/stock/v1/levels[?item=CODE...]``: each item's level now.
"""

from __future__ import annotations

import secrets as pysecrets
from typing import Any

from kassa_pos.stock.book import StockBook, parse

PREFIX = "/api/pos/stock/v1"


def router(hub: Any) -> Any:
    from litestar import Request, Router, get, post
    from litestar.connection import ASGIConnection
    from litestar.exceptions import NotAuthorizedException
    from litestar.handlers import BaseRouteHandler

    def guard(conn: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        token = str(getattr(hub, "api_token", "") or "")
        got = conn.headers.get("authorization", "")
        if not token or not pysecrets.compare_digest(got.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException("a valid 'Authorization: Bearer <token>' is required")

    @post("/documents", status_code=200)
    async def post_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
        raw = await request.json()
        doc = parse(raw)
        by = str((raw.get("posted_by") if isinstance(raw, dict) else "") or "api")[:100]
        done = await StockBook.of(hub).post(doc, by=by)
        return {"id": doc.id, "kind": doc.kind.value, "replay": done.replay,
                "moves": [[code, str(q)] for code, q in done.moves],
                "book": {c: str(q) for c, q in done.book.items()} if done.book else None}

    @get("/levels")
    async def levels(item: list[str] | None = None) -> dict[str, Any]:
        found = await StockBook.of(hub).levels(item or None)
        return {"levels": {code: str(q) for code, q in sorted(found.items())}}

    return Router(PREFIX, route_handlers=[post_document, levels], guards=[guard])
