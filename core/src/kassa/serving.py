"""Serve an ASGI app inside the running event loop (simulators, webhook listeners, doors):
bind first (port 0 = a free one; a taken port is an ``OSError`` at once), serve with uvicorn,
stop without waiting for idle keep-alive connections or long polls. No signal handlers of its
own: the host process owns SIGINT/SIGTERM.

``read_body`` / ``respond`` / ``respond_json`` are the two ends of a bare ASGI http scope, for
simulators that speak a protocol byte for byte rather than through a framework."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Iterator, Mapping
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the host process owns SIGINT/SIGTERM, not an embedded server


class AsgiServer:
    """``await start()`` binds and serves until ``await stop()``; ``port`` is the bound one
    after ``start``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *,
                 keep_alive: float = 30.0, graceful: bool = False) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.keep_alive = keep_alive
        self.graceful = graceful  # True: answers in flight finish before stop() returns
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def started(self) -> bool:
        return self._server is not None and self._server.started

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._sock = sock  # uvicorn does not close a socket it was handed
        config = uvicorn.Config(self.app, lifespan="off", access_log=False, log_config=None,
                                log_level="warning", timeout_graceful_shutdown=1,
                                timeout_keep_alive=int(self.keep_alive), interface="asgi3")
        self._server = _Server(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve([sock]))
        for _ in range(500):  # bounded: 5 s
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # re-raise the startup failure

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            self._server.force_exit = not self.graceful
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = self._task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


async def read_body(receive: Any) -> bytes:
    """The whole request body of an ASGI http scope."""
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if event["type"] == "http.disconnect" or not event.get("more_body"):
            return b"".join(chunks)


async def respond(send: Any, status: int, body: bytes, ctype: str = "application/json",
                  headers: Mapping[str, str] | None = None) -> None:
    head = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def respond_json(send: Any, status: int, data: Any = None,
                       headers: Mapping[str, str] | None = None) -> None:
    """``data`` as JSON; ``None``: an empty body without a content type (a 204)."""
    if data is None:
        head = [(b"content-length", b"0")]
        head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": b""})
        return
    await respond(send, status, json.dumps(data, ensure_ascii=False).encode(),
                  "application/json; charset=utf-8", headers)
