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
DRAIN_LIMIT = 64 * 1024 * 1024  # read (and drop) at most this much of a refused body
DRAIN_SECONDS = 5.0


class Request:
    __slots__ = ("body", "client", "headers", "method", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes,
                 client: str = "") -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.client = client  # the peer's IP address as the socket reports it


class Response:
    __slots__ = ("body", "content_type", "status")

    def __init__(self, status: int = 200, body: bytes = b"",
                 content_type: str = "application/xml; charset=utf-8") -> None:
        self.status = status
        self.body = body
        self.content_type = content_type


Handler = Callable[[Request], Awaitable[Response]]


class _TooLarge(Exception):
    pass


def _peer(stream: SocketStream) -> str:
    try:
        addr = stream.extra(anyio.abc.SocketAttribute.remote_address)
    except Exception:  # a stream without a socket (tests)
        return ""
    return str(addr[0]) if isinstance(addr, tuple) else str(addr)


async def _too_large(stream: SocketStream, conn: h11.Connection, max_body: int) -> None:
    """Answer 413 and close; first read what the client is still sending (up to a bound), so
    the kernel does not reset the connection before the client has read the answer."""
    text = f"request body larger than {max_body} bytes".encode()
    try:
        await stream.send(conn.send(h11.Response(status_code=413, headers=[
            ("content-type", "text/plain"), ("content-length", str(len(text))),
            ("connection", "close")])))
        await stream.send(conn.send(h11.Data(data=text)))
        await stream.send(conn.send(h11.EndOfMessage()))
        drained = 0
        with anyio.move_on_after(DRAIN_SECONDS):
            while drained < DRAIN_LIMIT:
                drained += len(await stream.receive(65536))
    except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError,
            h11.LocalProtocolError):
        pass


async def _serve_one(stream: SocketStream, handler: Handler, max_body: int = MAX_BODY) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
    client = _peer(stream)
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
                        length = dict(event.headers).get(b"content-length", b"0")
                        if length.isdigit() and int(length) > max_body:
                            raise _TooLarge
                    elif isinstance(event, h11.Data):
                        body += event.data
                        if len(body) > max_body:
                            raise _TooLarge
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        return
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
            except _TooLarge:
                log.info("refused a request body over %s bytes from %s", max_body, client)
                await _too_large(stream, conn, max_body)
                return
            except h11.RemoteProtocolError as exc:
                log.debug("bad HTTP from client: %s", exc)
                return
            assert req is not None
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in req.headers}
            request = Request(req.method.decode(), req.target.decode("latin-1"), headers,
                              bytes(body), client)
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
                    raw = conn.send(ev)
                    if raw:  # None only for ConnectionClosed, which is never sent here
                        await stream.send(raw)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return


@asynccontextmanager
async def serve(handler: Handler, host: str = "127.0.0.1", port: int = 0, *,
                max_body: int = MAX_BODY) -> AsyncIterator[int]:
    """Serve until the context exits; yields the bound port (port 0 picks a free one).
    A body over ``max_body`` bytes is answered 413 and the connection closed."""
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port, reuse_port=False)
    bound = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def accept(stream: SocketStream) -> None:
        await _serve_one(stream, handler, max_body)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, accept)
            try:
                yield bound
            finally:
                tg.cancel_scope.cancel()
    finally:
        await listener.aclose()
