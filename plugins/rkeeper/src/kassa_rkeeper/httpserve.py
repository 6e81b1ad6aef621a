"""A small HTTP/1.1 server (h11 over anyio) for the notify listener and the simulator.

Why not uvicorn: it installs signal handlers and its own loop policy; the hub runs many
sources (and the demo three simulators) in one task group, so a plain listener is lighter.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import h11
from anyio.abc import SocketStream

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024


class Request:
    __slots__ = ("body", "headers", "method", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class Response:
    __slots__ = ("body", "content_type", "status")

    def __init__(self, status: int = 200, body: bytes = b"",
                 content_type: str = "application/xml; charset=utf-8") -> None:
        self.status = status
        self.body = body
        self.content_type = content_type


Handler = Callable[[Request], Awaitable[Response]]


async def _serve_one(stream: SocketStream, handler: Handler) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
    async with stream:
        while True:
            req: h11.Request | None = None
            body = bytearray()
            try:
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        data = await stream.receive(65536)
                        conn.receive_data(data)
                        continue
                    if isinstance(event, h11.Request):
                        req = event
                    elif isinstance(event, h11.Data):
                        body += event.data
                        if len(body) > MAX_BODY:
                            raise h11.RemoteProtocolError("body too large", error_status_hint=413)
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        return
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
            except h11.RemoteProtocolError as exc:
                log.debug("bad HTTP from client: %s", exc)
                return
            assert req is not None
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in req.headers}
            request = Request(req.method.decode(), req.target.decode("latin-1"), headers,
                              bytes(body))
            try:
                resp = await handler(request)
            except Exception:  # a handler bug must not kill the server
                log.exception("HTTP handler failed for %s %s", request.method, request.path)
                resp = Response(500, b"internal error", "text/plain")
            out = [h11.Response(status_code=resp.status, headers=[
                ("content-type", resp.content_type), ("content-length", str(len(resp.body)))]),
                h11.Data(data=resp.body), h11.EndOfMessage()]
            try:
                for ev in out:
                    await stream.send(conn.send(ev))
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return


@asynccontextmanager
async def serve(handler: Handler, host: str = "127.0.0.1",
                port: int = 0) -> AsyncIterator[int]:
    """Serve until the context exits; yields the bound port (port 0 picks a free one)."""
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port, reuse_port=False)
    bound = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def accept(stream: SocketStream) -> None:
        await _serve_one(stream, handler)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, accept)
            try:
                yield bound
            finally:
                tg.cancel_scope.cancel()
    finally:
        await listener.aclose()
