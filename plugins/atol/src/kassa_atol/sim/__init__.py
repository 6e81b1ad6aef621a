"""The ATOL Web Server emulator: ``AtolSimulator`` serves ``WebServer`` (HTTP, uvicorn) in
front of one emulated register ``Kkt`` on 127.0.0.1; ``simulators(settings)`` gives the demo
one per site. Start it from the shell with ``kassa atol simulate --port 16732``."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kassa.serving import AsgiServer

from kassa_atol.sim.kkt import FN, MSK, REG_NUMBER, Faults, Kkt
from kassa_atol.sim.ofd import OfdLink
from kassa_atol.sim.server import WebServer
from kassa_atol.sim.state import StateError, StateFile

DEFAULT_PORT = 16732  # the ATOL Web Server's default (fiscal.md §2.2)


class AtolSimulator:
    """``site`` and ``register`` name what the config fragment wires: ``[[atol.registers]]``
    ``name = register`` and the site's ``fiscal = register``. ``ofd_url``: the FN transmits
    its documents there (``sim/ofd.py``: §9 tickets to ``/_sim/documents``) ``ofd_delay``
    seconds after each is made, retrying from ``ofd_retry`` s on; without it every document
    counts as confirmed at the next task (unless the ``ofd_failing`` fault is on).
    ``state_file``: the FN's and the Web Server's state survive a restart (``sim/state.py``)."""

    name = "atol"

    def __init__(self, site: str = "r1", *, register: str | None = None, port: int = 0,
                 host: str = "127.0.0.1", delay: float = 0.0, auto_open_shift: bool = False,
                 clock: Any = None, login: str = "", password: str = "",
                 poll_interval: float = 0.05, fn: str = FN, reg_number: str = REG_NUMBER,
                 ofd_url: str = "", ofd_delay: float = 0.0, ofd_retry: float = 1.0,
                 ofd_max_retry: float = 30.0, state_file: str | os.PathLike[str] | None = None,
                 endpoints: Mapping[str, str] | None = None) -> None:
        self.site = site
        self.register = register or f"atol-{site}"
        self.host = host
        self.port = port
        self.poll_interval = poll_interval
        self.login, self.password = login, password
        base = clock.now if clock is not None else (lambda: datetime.now(MSK))
        self.kkt = Kkt(clock=lambda: base() + self.web.offset, auto_open_shift=auto_open_shift,
                       fn=fn, reg_number=reg_number, transmits=bool(ofd_url))
        self.web = WebServer(self.kkt, delay=delay, login=login, password=password)
        self.link: OfdLink | None = None
        self._ofd = (ofd_delay, ofd_retry, ofd_max_retry)
        # the demo's published endpoints (read at start): another simulator's OFD intake
        self.endpoints_in = endpoints
        if ofd_url:
            self._link(ofd_url)
        self.state = StateFile(state_file) if state_file else None
        self._server: AsgiServer | None = None
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

    def _link(self, url: str) -> None:
        delay, retry, max_retry = self._ofd
        self.link = self.web.link = OfdLink(self.kkt, url, delay=delay, retry=retry,
                                            max_retry=max_retry)
        self.kkt.transmits = True

    def save(self) -> None:
        if self.state is not None:
            self.state.save(self.web)

    async def start(self) -> dict[str, Any]:
        url = (self.endpoints_in or {}).get("ofd_url")
        if self.link is None and url:
            self._link(url)
        if self.state is not None:  # before serving: a restarted emulator answers as before
            self.state.load(self.web)
            self.web.save = self.save
            if self.link is not None:
                self.link.save = self.save
            self.save()
        self._server = server = AsgiServer(self.web, self.host, self.port)
        await server.start()
        self.port = server.port
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self.web.run())]
        if self.link is not None:
            self._tasks.append(loop.create_task(self.link.run()))
        return self.fragment()

    def fragment(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.register, "url": self.url,
                                 "poll_interval": self.poll_interval}
        if self.login:
            entry |= {"login": self.login, "password": self.password}
        return {"atol": {"registers": [entry]},
                "sites": [{"code": self.site, "fiscal": self.register}]}

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.stop()
        self._tasks, self._server = [], None


def simulators(settings: Any) -> list[AtolSimulator]:
    """What ``register_simulators`` returns: one register per demo site (and per shop in
    ``settings.shops``, a POS simulator's); the demo's cashiers
    sell all day, so the shift opens on the first receipt (the driver's auto-open). When an OFD
    emulator publishes ``ofd_url`` in the demo's endpoints, the FNs transmit to it."""
    sites = getattr(settings, "sites", None) or ["r1"]
    codes = list(sites) if isinstance(sites, (list, tuple)) else [
        f"r{i + 1}" for i in range(int(sites))]
    codes += [s for s in getattr(settings, "shops", None) or [] if s not in codes]  # shops too
    endpoints = getattr(settings, "endpoints", None)
    # each register its own FN and RN: an OFD keys documents by FN + FD
    return [AtolSimulator(str(getattr(s, "code", s)), auto_open_shift=True,
                          fn=str(int(FN) + i), reg_number=f"{i + 1:010d}002292",
                          endpoints=endpoints)
            for i, s in enumerate(codes)]


__all__ = ["DEFAULT_PORT", "AtolSimulator", "Faults", "Kkt", "OfdLink", "StateError",
           "StateFile", "WebServer", "simulators"]
