"""The simulator's HTTP face: ``/bot<token>/<method>``, ``/file/bot<token>/<path>``, ``/_sim/``."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import multipart
from kassa.serving import read_body, respond

from kassa_telegram.sim import control
from kassa_telegram.sim.envelope import NOT_FOUND, UNAUTHORIZED, ApiError, encode, flood, ok
from kassa_telegram.sim.methods import FILE_MAX, METHODS, Upload
from kassa_telegram.sim.world import World

_BOT_PATH = re.compile(r"/bot([^/]*)/([A-Za-z]*)/?")
_FILE_PATH = re.compile(r"/file/bot([^/]*)/(.+)")
_BAD_GATEWAY = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center>"
                b"<h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>"
                b"\r\n</html>\r\n")
CALL_LOG_MAX = 10_000


class SimApp:
    """A raw ASGI app; every Bot API rule lives in ``methods`` and ``world``."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if int(headers.get("content-length") or 0) > FILE_MAX + 1024 * 1024:
            await respond(send, 413, encode(ApiError(413, "Request Entity Too Large").body()))
            return
        body = await read_body(receive)
        if path.startswith("/_sim/"):
            status, payload = await control.handle(self.world, scope["method"], path,
                                                   _json_or_empty(body))
            await respond(send, status, encode(payload))
            return
        m = _FILE_PATH.fullmatch(path)
        if m and scope["method"] == "GET":
            await self._file(send, m.group(1), m.group(2))
            return
        m = _BOT_PATH.fullmatch(path)
        if m is None:
            await respond(send, 404, encode(NOT_FOUND.body()))
            return
        await self._call(send, m.group(1), m.group(2).lower(), scope, headers, body)

    async def _file(self, send: Any, token: str, file_path: str) -> None:
        if token != self.world.bot.token:
            await respond(send, 401, encode(UNAUTHORIZED.body()))
            return
        f = next((f for f in self.world.files.values() if f.path == file_path), None)
        if f is None:
            await respond(send, 404, encode(NOT_FOUND.body()))
            return
        await respond(send, 200, f.content, f.mime)

    async def _call(self, send: Any, token: str, method: str, scope: dict[str, Any],
                    headers: dict[str, str], body: bytes) -> None:
        w = self.world
        status, payload, params = 200, None, {}
        try:
            if token != w.bot.token:
                raise UNAUTHORIZED
            handler = METHODS.get(method)
            if handler is None:
                raise NOT_FOUND
            params = _params(scope, headers, body)
            fault = w.faults.take(method)
            if fault is not None:
                if fault.kind == "drop_before":
                    await _drop(send)
                    return
                if fault.kind == "server_error":
                    raise ApiError(500, "Internal Server Error")
                if fault.kind == "flood":
                    raise flood(fault.retry_after)
                if fault.kind == "bad_gateway":
                    self._log(method, params, 502)
                    await respond(send, 502, _BAD_GATEWAY, "text/html")
                    return
                if fault.kind == "timeout":
                    await asyncio.sleep(fault.delay)
            payload = ok(await handler(w, params))
            if fault is not None and fault.kind == "drop_after":
                self._log(method, params, 200)
                await _drop(send)  # done, but the caller never hears so
                return
        except ApiError as err:
            status, payload = err.code, err.body()
        self._log(method, params, status)
        await respond(send, status, encode(payload))

    def _log(self, method: str, params: dict[str, Any], status: int) -> None:
        calls = self.world.calls
        calls.append({"at": self.world.clock(), "method": method, "status": status,
                      "chat_id": params.get("chat_id")})
        if len(calls) > CALL_LOG_MAX:
            del calls[: len(calls) - CALL_LOG_MAX]


def _json_or_empty(body: bytes) -> Any:
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return None


def _params(scope: dict[str, Any], headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Query string, then JSON, urlencoded or multipart body (later wins), as Telegram reads."""
    params: dict[str, Any] = dict(parse_qsl(scope.get("query_string", b"").decode()))
    ctype, options = multipart.parse_options_header(headers.get("content-type", ""))
    if not body:
        return params
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Bad Request: can't parse JSON encoded request")
        params.update(data)
    elif ctype == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif ctype == "multipart/form-data":
        try:
            parser = multipart.MultipartParser(io.BytesIO(body), options.get("boundary", ""),
                                               len(body), memory_limit=FILE_MAX + 2**20)
            for part in parser:
                if part.filename is not None:
                    params[part.name] = Upload(part.filename, part.raw,
                                               part.content_type or "application/octet-stream")
                else:
                    params[part.name] = part.value
        except multipart.MultipartError:
            raise ApiError(400, "Bad Request: can't parse multipart/form-data request") from None
    return params


async def _drop(send: Any) -> None:
    # Start a response and never finish it: the server closes the connection mid-reply.
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"100")]})
