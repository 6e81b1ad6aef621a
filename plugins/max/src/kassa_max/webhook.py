"""The webhook receiver: MAX POSTs one Update per request with ``X-Max-Bot-Api-Secret``.

An update is answered 200 only once the consumer of ``updates()`` has taken it and come back
for the next one (the hub persists each before asking again); otherwise 503, and MAX retries.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from kassa.secret import Secret

from kassa_max.http_server import HttpServer, Request, Response

log = logging.getLogger(__name__)
HANDOFF_TIMEOUT = 30.0  # seconds an update may wait for the consumer before MAX retries


class WebhookReceiver:
    def __init__(self, secret: Secret, host: str, port: int) -> None:
        self._secret = secret
        self.server = HttpServer(self._handle, host, port)
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[None]]] = (
            asyncio.Queue(maxsize=100))
        self.rejected = 0

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def _handle(self, req: Request) -> Response:
        if req.method != "POST":
            return Response.of_json({"code": "method.not.allowed", "message": "POST only"}, 405)
        given = req.headers.get("x-max-bot-api-secret", "")
        if not hmac.compare_digest(given.encode(), self._secret.reveal().encode()):
            self.rejected += 1
            log.warning("MAX webhook: a request without the right secret header was refused")
            return Response.of_json({"code": "verify.secret", "message": "Forbidden"}, 401)
        try:
            update = json.loads(req.body.decode("utf-8"))
        except ValueError:
            return Response.of_json({"code": "proto.payload", "message": "not JSON"}, 400)
        if not isinstance(update, dict) or "update_type" not in update:
            return Response.of_json({"code": "proto.payload", "message": "not an Update"}, 400)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(self._queue.put((update, done)), HANDOFF_TIMEOUT)
            await asyncio.wait_for(asyncio.shield(done), HANDOFF_TIMEOUT)
        except TimeoutError:
            return Response.of_json({"code": "busy", "message": "try again"}, 503)
        return Response.of_json({"success": True})

    async def stream(self) -> AsyncIterator[dict[str, Any]]:
        """Updates in arrival order; each is acknowledged when the next one is asked for."""
        while True:
            update, done = await self._queue.get()
            yield update
            if not done.done():
                done.set_result(None)
