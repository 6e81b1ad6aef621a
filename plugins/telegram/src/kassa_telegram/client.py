"""A thin async Bot API client on httpx: one method call = one HTTP POST.

The token never appears in a URL object that httpx logs or puts into exceptions: requests
are built with a marker in its place, and only the transport swaps the real token in.
"""

from __future__ import annotations

import json
import logging
import ssl
from typing import Any

import httpx
from kassa.errors import ConfigError, RetryLater
from kassa.secret import Secret, redact

from kassa_telegram.failures import classify

log = logging.getLogger(__name__)

_MARK = "__TOKEN__"
FileField = tuple[str, bytes, str]  # (filename, content, mime)


class _TokenTransport(httpx.AsyncBaseTransport):
    """Puts the real token into the path at the last moment, on a copy of the request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, token: Secret) -> None:
        self._inner = inner
        self._token = token

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path.replace(_MARK.encode(), self._token.reveal().encode(), 1)
        real = httpx.Request(request.method, request.url.copy_with(raw_path=raw),
                             headers=request.headers, stream=request.stream,
                             extensions=request.extensions)
        return await self._inner.handle_async_request(real)

    async def aclose(self) -> None:
        await self._inner.aclose()


class BotClient:
    """Calls ``/bot<token>/<method>``; returns ``result`` or raises a kassa error."""

    def __init__(self, token: Secret, base_url: str = "https://api.telegram.org", *,
                 proxy: str = "", ca_bundle: str = "", timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._token = token
        self._base = base_url.rstrip("/")
        self.timeout = timeout
        inner = transport or httpx.AsyncHTTPTransport(
            verify=_verify(ca_bundle), proxy=proxy or None, retries=0)
        self._http = httpx.AsyncClient(transport=_TokenTransport(inner, token),
                                       timeout=httpx.Timeout(timeout))

    def redact(self, text: str) -> str:
        return redact(text, [self._token.reveal()])

    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   files: dict[str, FileField] | None = None,
                   read_timeout: float | None = None) -> Any:
        url = f"{self._base}/bot{_MARK}/{method}"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        t = httpx.Timeout(read_timeout if read_timeout is not None else self.timeout)
        try:
            if files:
                data = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                        for k, v in clean.items()}
                resp = await self._http.post(url, data=data, files=files, timeout=t)
            else:
                resp = await self._http.post(url, json=clean, timeout=t)
        except httpx.TimeoutException:
            raise RetryLater(f"Telegram {method}: no answer within {t.read} s") from None
        except httpx.TransportError as exc:
            # from None: the cause's text could carry the real URL
            raise RetryLater(f"Telegram {method}: {type(exc).__name__}: "
                             f"{self.redact(str(exc)) or 'connection failed'}") from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        err = classify(method, resp.status_code, body)
        log.debug("telegram %s failed: %s", method, self.redact(str(err)))
        raise err

    async def get_me(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("getMe")
        return result

    async def get_updates(self, offset: int | None, hold: int,
                          allowed: list[str]) -> list[dict[str, Any]]:
        """Long poll: the server holds the call up to ``hold`` seconds."""
        result: list[dict[str, Any]] = await self.call(
            "getUpdates", {"offset": offset, "timeout": hold, "allowed_updates": allowed},
            read_timeout=hold + 10.0)  # the read timeout must outlast the long poll
        return result

    async def send_message(self, chat_id: str, text: str, **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("sendMessage", {
            "chat_id": chat_id, "text": text, **extra})
        return result

    async def edit_message_text(self, chat_id: str, message_id: int, text: str,
                                **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("editMessageText", {
            "chat_id": chat_id, "message_id": message_id, "text": text, **extra})
        return result

    async def send_file(self, kind: str, chat_id: str, file: FileField,
                        **extra: Any) -> dict[str, Any]:
        """``kind`` is "document" or "photo" (sendDocument / sendPhoto, multipart)."""
        method = "sendPhoto" if kind == "photo" else "sendDocument"
        field = "photo" if kind == "photo" else "document"
        result: dict[str, Any] = await self.call(method, {"chat_id": chat_id, **extra},
                                                 files={field: file})
        return result

    async def answer_callback_query(self, callback_id: str, text: str | None = None) -> None:
        await self.call("answerCallbackQuery", {"callback_query_id": callback_id,
                                                "text": text})

    async def set_webhook(self, url: str, secret_token: str | None,
                          allowed: list[str]) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret_token or None,
                                       "allowed_updates": allowed})

    async def delete_webhook(self, drop_pending_updates: bool = False) -> None:
        await self.call("deleteWebhook", {"drop_pending_updates": drop_pending_updates})

    async def aclose(self) -> None:
        await self._http.aclose()


def _verify(ca_bundle: str) -> ssl.SSLContext | bool:
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the CA bundle {ca_bundle!r}: {exc}",
                          path="telegram.ca_bundle") from None
