"""A thin async client for the MAX Bot API (httpx). Bare JSON in, bare JSON out; failures
become Kassa errors in ``failures``. The token travels only in the ``Authorization`` header."""

from __future__ import annotations

import json
import logging
import ssl
from typing import Any

import anyio
import httpx
from kassa.secret import Secret, redact

from kassa_max import failures
from kassa_max.settings import MaxSettings, ca_path

log = logging.getLogger(__name__)
Json = dict[str, Any]


class MaxClient:
    def __init__(self, settings: MaxSettings, *, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.settings = settings
        self._token: Secret = settings.token
        # the system roots plus the Минцифры root (the upload host may use either)
        self._verify = ssl.create_default_context()
        self._verify.load_verify_locations(cafile=str(ca_path(settings)))
        self._http = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            headers={"Authorization": settings.token.reveal()},
            timeout=httpx.Timeout(settings.timeout),
            proxy=settings.proxy or None,
            verify=self._verify,
            transport=transport,
        )
        self._closing = False

    def __repr__(self) -> str:
        return f"MaxClient({self.settings.base_url!r})"

    async def aclose(self) -> None:
        self._closing = True  # a long poll cut by this is shutdown, not a network fault
        await self._http.aclose()

    async def request(self, method: str, path: str, *, target: str, query: Json | None = None,
                      body: Any = None, deadline: float | None = None) -> Json:
        """One API call; the answer's JSON object, or a RetryLater/Permanent subclass."""
        params = {k: v for k, v in (query or {}).items() if v is not None}
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"content-type": "application/json"} if content is not None else None
        limit = httpx.USE_CLIENT_DEFAULT if deadline is None else httpx.Timeout(deadline)
        if self._closing:
            raise failures.Closed(f"the MAX client is closed ({target})")
        try:
            resp = await self._http.request(method, path, params=params, content=content,
                                            headers=headers, timeout=limit)
        except httpx.HTTPError as exc:
            if self._closing:  # closed under a held call: nothing went wrong
                raise failures.Closed(f"the MAX client is closed ({target})") from None
            log.info("MAX %s %s failed: %s", method, path, self._redact(type(exc).__name__))
            raise failures.transport(exc, target=target) from None
        data = _json(resp)
        if resp.status_code == 200:
            if not isinstance(data, dict):
                raise failures.ApiRetryLater(f"MAX answered {target} with a non-JSON body",
                                             status=200, code="")
            return data
        code = str(data.get("code", "")) if isinstance(data, dict) else ""
        message = str(data.get("message", "")) if isinstance(data, dict) else resp.text[:200]
        err = failures.classify(resp.status_code, code, self._redact(message), target=target,
                                retry_after_header=resp.headers.get("retry-after"))
        log.info("MAX %s %s -> %s", method, path, err)
        raise err

    def _redact(self, text: str) -> str:
        return redact(text, [self._token.reveal()])

    # --- the endpoints Kassa uses ---------------------------------------------------------
    async def me(self) -> Json:
        return await self.request("GET", "/me", target="the bot (/me)")

    async def send(self, body: Json, *, chat_id: int | None = None, user_id: int | None = None
                   ) -> Json:
        """POST /messages to a chat or a user; returns the sent Message object."""
        target = f"chat {chat_id}" if chat_id is not None else f"user {user_id}"
        answer = await self.request("POST", "/messages", target=target, body=body,
                                    query={"chat_id": chat_id, "user_id": user_id})
        return dict(answer.get("message") or {})

    async def send_when_ready(self, body: Json, *, chat_id: int) -> Json:
        """Send a message with an uploaded attachment, waiting out ``attachment.not.ready``."""
        delay = self.settings.upload_delay
        for attempt in range(self.settings.upload_tries):
            try:
                return await self.send(body, chat_id=chat_id)
            except failures.ApiRetryLater as exc:
                if exc.code != failures.NOT_READY or attempt + 1 == self.settings.upload_tries:
                    raise
            await anyio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    async def edit(self, message_id: str, body: Json) -> Json:
        return await self.request("PUT", "/messages", target=f"message {message_id}",
                                  query={"message_id": message_id}, body=body)

    async def answer(self, callback_id: str, notification: str | None = None,
                     message: Json | None = None) -> Json:
        body: Json = {}
        if notification is not None:
            body["notification"] = notification
        if message is not None:
            body["message"] = message
        return await self.request("POST", "/answers", target="a button press",
                                  query={"callback_id": callback_id}, body=body)

    async def updates(self, *, marker: int | None, hold: int, limit: int = 100,
                      types: list[str] | None = None) -> Json:
        """GET /updates, held by MAX up to ``hold`` seconds; passing ``marker`` commits
        everything before it."""
        return await self.request(
            "GET", "/updates", target="updates",
            query={"marker": marker, "timeout": hold, "limit": limit,
                   "types": ",".join(types) if types else None},
            deadline=self.settings.timeout + hold)

    async def subscriptions(self) -> list[Json]:
        answer = await self.request("GET", "/subscriptions", target="subscriptions")
        return list(answer.get("subscriptions") or [])

    async def subscribe(self, url: str, secret: Secret, types: list[str] | None = None) -> Json:
        body: Json = {"url": url, "secret": secret.reveal()}
        if types:
            body["update_types"] = types
        return await self.request("POST", "/subscriptions", target="the webhook", body=body)

    async def unsubscribe(self, url: str) -> Json:
        return await self.request("DELETE", "/subscriptions", target="the webhook",
                                  query={"url": url})

    async def chat(self, chat_id: int) -> Json:
        return await self.request("GET", f"/chats/{chat_id}", target=f"chat {chat_id}")

    async def my_membership(self, chat_id: int) -> Json:
        """The bot's ChatMember in a group: ``is_admin`` and ``permissions``."""
        return await self.request("GET", f"/chats/{chat_id}/members/me",
                                  target=f"chat {chat_id}")

    async def upload(self, kind: str, filename: str, content: bytes, mime: str) -> Json:
        """Steps 1-2 of an upload; returns the attachment payload to send (``{"token": ..}``).

        The upload URL belongs to another host and takes no Authorization header."""
        slot = await self.request("POST", "/uploads", target=f"upload of {filename}",
                                  query={"type": kind})
        url = slot.get("url")
        if not url:
            raise failures.ApiRetryLater("MAX gave no upload URL", status=200, code="")
        try:
            async with httpx.AsyncClient(timeout=self._http.timeout, verify=self._verify,
                                         proxy=self.settings.proxy or None) as up:
                resp = await up.post(str(url), files={"data": (filename, content, mime)})
        except httpx.HTTPError as exc:
            raise failures.transport(exc, target=f"upload of {filename}") from None
        data = _json(resp)
        if resp.status_code != 200 or not isinstance(data, dict):
            code = str(data.get("code", "")) if isinstance(data, dict) else ""
            raise failures.classify(resp.status_code, code, resp.text[:200],
                                    target=f"upload of {filename}")
        if "token" in slot:  # video/audio: the token comes with the URL
            return {"token": slot["token"]}
        if "photos" in data:  # image: {"photos": {key: {"token": ..}}}
            return {"photos": data["photos"]}
        return {"token": data.get("token")}


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
