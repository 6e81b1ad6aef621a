"""The ATOL Web Server emulator: ``AtolSimulator`` serves ``WebServer`` (HTTP, uvicorn) in
front of one emulated register ``Kkt`` on 127.0.0.1; ``simulators(settings)`` gives the demo
one per site. Start it from the shell with ``kassa atol simulate --port 16732``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import uvicorn

from kassa_atol.sim.kkt import MSK, Faults, Kkt
from kassa_atol.sim.server import WebServer

DEFAULT_PORT = 16732  # the ATOL Web Server's default (fiscal.md §2.2)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the host process owns SIGINT/SIGTERM


class AtolSimulator:
    """``site`` and ``register`` name what the config fragment wires: ``[[atol.registers]]``
    ``name = register`` and the site's ``fiscal = register``."""

    name = "atol"

    def __init__(self, site: str = "r1", *, register: str | None = None, port: int = 0,
                 host: str = "127.0.0.1", delay: float = 0.0, auto_open_shift: bool = False,
                 clock: Any = None, login: str = "", password: str = "",
                 poll_interval: float = 0.05) -> None:
        self.site = site
        self.register = register or f"atol-{site}"
        self.host = host
        self.port = port
        self.poll_interval = poll_interval
        self.login, self.password = login, password
        base = clock.now if clock is not None else (lambda: datetime.now(MSK))
        self.kkt = Kkt(clock=lambda: base() + self.web.offset, auto_open_shift=auto_open_shift)
        self.web = WebServer(self.kkt, delay=delay, login=login, password=password)
        self._server: _Server | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    @property
    def faults(self) -> Faults:
        return self.kkt.faults

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def effects(self) -> int:
        """Receipts and corrections the FN holds (what a contract test counts)."""
        return len(self.kkt.receipts())

    async def start(self) -> dict[str, Any]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.web, lifespan="off", access_log=False, log_config=None,
                                log_level="warning", timeout_graceful_shutdown=1)
        self._server = server = _Server(config)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(server.serve([sock])), loop.create_task(self.web.run())]
        for _ in range(500):  # bounded: 5 s
            if server.started or self._tasks[0].done():
                break
            await asyncio.sleep(0.01)
        if self._tasks[0].done():
            self._tasks[0].result()
        return self.fragment()

    def fragment(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.register, "url": self.url,
                                 "poll_interval": self.poll_interval}
        if self.login:
            entry |= {"login": self.login, "password": self.password}
        return {"atol": {"registers": [entry]},
                "sites": [{"code": self.site, "fiscal": self.register}]}

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        for task in reversed(self._tasks):
            if task is not self._tasks[0]:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._server = [], None


def simulators(settings: Any) -> list[AtolSimulator]:
    """What ``register_simulators`` returns: one register per demo site; the demo's cashiers
    sell all day, so the shift opens on the first receipt (the driver's auto-open)."""
    sites = getattr(settings, "sites", None) or ["r1"]
    codes = list(sites) if isinstance(sites, (list, tuple)) else [
        f"r{i + 1}" for i in range(int(sites))]
    return [AtolSimulator(str(getattr(s, "code", s)), auto_open_shift=True) for s in codes]


__all__ = ["DEFAULT_PORT", "AtolSimulator", "Faults", "Kkt", "WebServer", "simulators"]
