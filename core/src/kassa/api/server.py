"""Serve the Litestar app with uvicorn inside the hub's task group."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskStatus

from kassa.errors import UserError
from kassa.ports import bind_error

if TYPE_CHECKING:
    from kassa.api.host import AdminHost
    from kassa.config import Settings

log = logging.getLogger("kassa.api")


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket. IPPROTO_TCP is named because asyncio turns Nagle off only on
    connections whose socket says it is TCP; without it each response's body waited ~40 ms
    for the client's delayed ACK (a no-op request took 44 ms instead of 1)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted ones
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def serve(hub: AdminHost, routes: Sequence[Any] = (), *,
                task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
    import uvicorn

    from kassa.api.app import build_app
    from kassa.api.exposure import check_exposure

    s = hub.settings.api
    check_exposure(s)
    try:  # before building the app: a taken port is the commonest start-up failure
        sock = listening_socket(s.host, s.port)
    except OSError as exc:
        raise UserError(bind_error("the admin API", s.host, s.port, exc)) from None
    try:
        app = await build_app(hub, routes)
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                            log_config=None)  # never draw over the console
    server = uvicorn.Server(config)
    # The hub owns SIGINT/SIGTERM (kassa.runner): uvicorn must neither catch nor re-raise them.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    log.info("admin API on http://%s:%s", s.host, port)
    task_status.started(port)
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()


def token_for(settings: Settings) -> str:
    """The admin token: from config, else generated once into the data folder."""
    tok = settings.api.token.reveal()
    if tok:
        return tok
    import os
    import secrets

    path = settings.data_path / "api-token"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tok = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # never readable by others
    with os.fdopen(fd, "w") as f:
        f.write(tok)
    return tok

