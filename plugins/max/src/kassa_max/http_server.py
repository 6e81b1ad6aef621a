"""A small asyncio HTTP/1.1 server: the simulator and the webhook receiver both sit on it.

Written on raw asyncio streams (not ASGI) because the simulator must be able to do what a
framework hides: drop a connection after reading a request, or hold a request open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

log = logging.getLogger(__name__)

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable"}
MAX_BODY = 64 * 1024 * 1024


@attrs.define
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = attrs.field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@attrs.define
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def of_json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None
                ) -> Response:
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, raw, {"content-type": "application/json; charset=utf-8",
                                 **(headers or {})})


class Drop(Exception):
    """Raised by a handler to close the connection without answering."""


Handler = Callable[[Request], Awaitable[Response]]


class HttpServer:
    """Serve ``handler`` on ``host:port`` (port 0: a free one). Keep-alive, Content-Length
    and chunked request bodies."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._conns):
            task.cancel()
        for task in list(self._conns):
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                req = await _read_request(reader)
                if req is None:
                    break
                try:
                    resp = await self.handler(req)
                except Drop:
                    break
                except Exception:  # a bug in a handler must not kill the server
                    log.exception("handler failed for %s %s", req.method, req.path)
                    resp = Response.of_json({"code": "internal.error",
                                             "message": "Internal error"}, 500)
                writer.write(_encode(resp))
                await writer.drain()
                if req.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass  # stop() cancels open connections; asyncio's stream callback must not see it
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
            if len(body) > MAX_BODY:
                raise ValueError("body too large")
    else:
        length = int(headers.get("content-length", "0") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        body = bytearray(await reader.readexactly(length)) if length else bytearray()
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return Request(method.upper(), parts.path, query, headers, bytes(body))


def _encode(resp: Response) -> bytes:
    head = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Status')}",
            f"content-length: {len(resp.body)}"]
    head += [f"{k}: {v}" for k, v in resp.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + resp.body


def parse_multipart(req: Request) -> dict[str, tuple[str | None, bytes]]:
    """Fields of a multipart/form-data body: name -> (filename, content)."""
    ctype = req.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
        raise ValueError("expected multipart/form-data")
    boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"').encode()
    fields: dict[str, tuple[str | None, bytes]] = {}
    for chunk in req.body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        disposition = next((ln for ln in head.decode("utf-8", "replace").split("\r\n")
                            if ln.lower().startswith("content-disposition")), "")
        params = dict(_disposition_params(disposition))
        if "name" in params:
            fields[params["name"]] = (params.get("filename"), content.removesuffix(b"\r\n"))
    return fields


def _disposition_params(line: str) -> list[tuple[str, str]]:
    out = []
    for item in line.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        out.append((key.lower(), value.strip('"')))
    return out
