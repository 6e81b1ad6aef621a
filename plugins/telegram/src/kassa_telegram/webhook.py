"""The webhook listener: Telegram POSTs each Update here (behind your HTTPS reverse proxy).

A call without the configured ``X-Telegram-Bot-Api-Secret-Token`` is refused with 401, so a
forged update never reaches the hub. An update is acknowledged (200) only after the hub took
it; if the hub is too slow the answer is 503 and Telegram delivers it again later.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from kassa.serving import read_body, respond

log = logging.getLogger(__name__)

ACK_TIMEOUT = 50.0  # Telegram gives a webhook roughly a minute before retrying


class WebhookListener:
    """ASGI app; ``queue`` carries (update, future) and the consumer resolves the future."""

    def __init__(self, path: str, secret_token: str, *, maxsize: int = 1000) -> None:
        self.path = path
        self._secret = secret_token.encode()
        self.queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[None]]] = \
            asyncio.Queue(maxsize)
        self.rejected = 0
        self.accepted = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] != self.path:
            await respond(send, 404, b"not found", "text/plain")
            return
        if scope["method"] != "POST":
            await respond(send, 405, b"method not allowed", "text/plain")
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-telegram-bot-api-secret-token", b"")
        if self._secret and not hmac.compare_digest(given, self._secret):
            self.rejected += 1
            log.warning("refused a webhook call without the right secret token from %s",
                        (scope.get("client") or ("?",))[0])
            await respond(send, 401, b"unauthorized", "text/plain")
            return
        body = await read_body(receive)
        try:
            update = json.loads(body)
        except ValueError:
            update = None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            await respond(send, 400, b"expected a Telegram Update object", "text/plain")
            return
        taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(self._handover(update, taken), ACK_TIMEOUT)
        except TimeoutError:
            await respond(send, 503, b"busy, deliver again later", "text/plain")
            return
        self.accepted += 1
        await respond(send, 200, b"{}")

    async def _handover(self, update: dict[str, Any], taken: asyncio.Future[None]) -> None:
        await self.queue.put((update, taken))
        await taken
