"""A standalone simulated r_keeper 7 cash server: XML interface + HTTP Order Notify + staff.

``RKeeperSim`` implements ``kassa.hookspecs.app.Simulator``. Faults for tests:
``link_down()`` (the server stops answering and stops pushing), ``slow(s)``,
``malformed(n)`` (truncated XML answers), ``restart()`` (the notify queue is dropped);
the tills' station script (``sim_station``) queues on disk: ``stations`` to drop an event,
restart or wipe a till.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from kassa_rkeeper import httpserve
from kassa_rkeeper import sim_data as ref
from kassa_rkeeper.sim_life import Staff
from kassa_rkeeper.sim_model import Restaurant
from kassa_rkeeper.sim_notify import Notifier
from kassa_rkeeper.sim_station import Stations
from kassa_rkeeper.sim_till import Till
from kassa_rkeeper.sim_xml import XmlInterface

NOTIFY_PATH = "/rkeeper/notify"
# a loyalty server for a simulator started on its own (`kassa rkeeper simulate` reads it too);
# in the demo the URL comes from the endpoints other simulators publish (``farcards_url``)
FARCARDS_ENV = "KASSA_FARCARDS_URL"
# cards the demo's guests carry: most in a range a loyalty server may issue, one it never knows
DEMO_CARDS = (*(f"77880{n:02d}" for n in range(10, 30)), "1234567")
USER, PASSWORD = "kassa", "kassa"
NAMES = ["Суши Мастер на Невском", "Суши Мастер на Садовой", "Суши Мастер в Купчино",
         "Суши Мастер на Васильевском", "Суши Мастер в Озерках"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port the hub's notify listener can bind (the cash server must know it in advance)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class SimClock:
    """Local server time (naive, as r_keeper sends it) running ``speed`` times faster."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        self.start = start
        self.speed = speed
        self.t0 = time.monotonic()
        self.skew = timedelta(0)  # fault: the server clock is wrong

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.t0) * self.speed) + self.skew


class RKeeperSim:
    def __init__(self, code: str = "r1", name: str = NAMES[0], *, rest_code: str = "199990001",
                 seed: int = 1, speed: float = 1.0, rate: float = 0.0,
                 timezone: str = "Europe/Moscow", start: datetime | None = None,
                 notify_url: str | None = None, farcards_url: str | None = None,
                 cards: Sequence[str] = DEMO_CARDS,
                 endpoints: Mapping[str, str] | None = None,
                 station_secret: str | None = None, port: int = 0, listen_port: int = 0,
                 run: str | None = None, **station_options: Any) -> None:
        self.name = f"rkeeper:{code}"
        self.code = code
        self.site_name = name
        self.timezone = timezone
        start = start or datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
        self.clock = SimClock(start, speed)
        # GUIDs from the seed and this run: the day replays from the seed (Staff has its own
        # Random(seed)), but a second run's orders and events are new to a store that kept
        # the first run's (the same GUIDs would be dropped as duplicates)
        self.run = run or secrets.token_hex(8)
        self.rng = random.Random(f"{seed}:{self.run}")
        self.rest = Restaurant(rest_code, name, self.clock, self.rng,
                               shift_date=start.replace(hour=0, minute=0, second=0),
                               shift_start=start)
        self.xml = XmlInterface(self.rest)
        self.notifier = Notifier(self.rest, self.rng)
        # the secret the tills' script sends (None: a fresh one; "" : none)
        self.station_secret = (secrets.token_urlsafe(16) if station_secret is None
                               else station_secret)
        self.stations = Stations(self.rest, self.rng, secret=self.station_secret,
                                 **station_options)
        self.staff = Staff(self.rest, seed=seed, rate=rate) if rate > 0 else None
        self.notify_url = notify_url
        self.farcards_url, self.cards, self.seed = farcards_url, tuple(cards), seed
        self.endpoints = endpoints  # the demo's published endpoints, read at start
        self.till: Till | None = None  # made at start, when a FarCards URL is known
        self.port = port  # the XML interface's port (0: a free one, known after start)
        self.listen_port = listen_port  # the hub's push listener (0: a free one)
        self.link_is_down = False
        self._link = anyio.Event()
        self._link.set()
        self._task: Any = None
        self._ready = anyio.Event()

    # --- Simulator protocol ---------------------------------------------------------------
    async def start(self) -> Mapping[str, Any]:
        # A plain asyncio task, not a task group held open between start() and stop(): the
        # demo stops simulators from inside a shielded cancel scope of another task.
        import asyncio

        self._ready = anyio.Event()
        # the till of a loyalty system (FarCards-HTTP), when a loyalty server is configured
        url = (self.farcards_url or (self.endpoints or {}).get("farcards_url")
               or os.environ.get(FARCARDS_ENV))
        self.till = Till(self.rest, url, self.cards, seed=self.seed,
                         endpoints=self.endpoints) if url else None
        self._task = asyncio.get_running_loop().create_task(self._main())
        while not self._ready.is_set():
            if self._task.done():
                self._task.result()  # raises what went wrong (e.g. the port is taken)
            await anyio.sleep(0.005)
        listen_port = 0
        if self.notify_url is None:
            listen_port = self.listen_port or free_port()
            self.notify_url = f"http://127.0.0.1:{listen_port}{NOTIFY_PATH}"
        if self.notify_url:
            self.notifier.subscribe(self.notify_url)
            self.stations.configure(url=self.notify_url)
        self.notifier.notice("Started", {})
        return {"sites": [{"code": self.code, "name": self.site_name, "timezone": self.timezone,
                           "rkeeper": self.config(listen_port)}]}

    async def _main(self) -> None:
        async with httpserve.serve(self._handle, port=self.port) as port:
            self.port = port
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.notifier.run)
                tg.start_soon(self.stations.run)
                if self.staff:
                    tg.start_soon(self.staff.run)
                    if self.till:
                        tg.start_soon(self.till.run, self.staff.rate / 4)
                self._ready.set()
                await anyio.sleep_forever()

    async def stop(self) -> None:
        import asyncio

        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self.till is not None:
            await self.till.aclose()
        self.stations.close()

    def config(self, listen_port: int = 0) -> dict[str, Any]:
        """The ``[sites.rkeeper]`` table pointing at this simulator (every option the
        listener has, so the printed example shows them)."""
        return {"host": "127.0.0.1", "port": self.port, "scheme": "http", "user": USER,
                "password": PASSWORD, "restaurant_code": self.rest.code,
                "listen_host": "127.0.0.1", "listen_port": listen_port,
                "allow": [], "secret": self.station_secret, "max_body": 1024 * 1024,
                "expected_clock_skew": True,  # the simulated day runs ahead on purpose
                "hub_gap_after": 60}

    async def __aenter__(self) -> RKeeperSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # --- faults ---------------------------------------------------------------------------
    async def _handle(self, request: httpserve.Request) -> httpserve.Response:
        await self._link.wait()  # while the link is down the client times out
        return await self.xml.handle(request)

    def link_down(self) -> None:
        self.link_is_down = True
        if self._link.is_set():
            self._link = anyio.Event()
        self.notifier.link_up = False
        self.stations.configure(link_up=False)

    def link_up(self) -> None:
        self.link_is_down = False
        self._link.set()
        self.notifier.link_up = True
        self.notifier.wake.set()
        self.stations.configure(link_up=True)

    def slow(self, seconds: float) -> None:
        self.xml.delay = seconds

    def malformed(self, answers: int = 1) -> None:
        self.xml.malformed = answers

    def restart(self) -> None:
        self.notifier.restart()

    def subscribe(self, url: str) -> None:
        """Point the notify driver and the tills' script at ``url`` (the script has one)."""
        self.notifier.subscribe(url)
        self.notifier.wake.set()
        self.stations.configure(url=url)


def simulators(settings: Any) -> list[RKeeperSim]:
    """What ``register_simulators`` returns: one light simulator per demo site.

    ``settings.sites`` is a count or a list of site codes; ``speed``, ``seed`` and
    ``farcards_url`` optional; else the tills read ``farcards_url`` from ``settings.endpoints``
    (what other simulators published, the demo fills it before any starts) when they start,
    and call that loyalty server as r_keeper's ExtDllHTTP would."""
    sites = getattr(settings, "sites", 3)
    codes = list(sites) if isinstance(sites, (list, tuple)) else [
        f"r{i + 1}" for i in range(int(sites or 3))]
    speed = float(getattr(settings, "speed", 1.0) or 1.0)
    seed = int(getattr(settings, "seed", 1) or 1)
    rate = min(4.0, 0.5 * max(1.0, speed ** 0.5))  # a few actions per second at most: light
    # The demo's day starts at opening time, whatever the hour is where it runs.
    opening = datetime.now(ZoneInfo("Europe/Moscow")).replace(
        hour=10, minute=30, second=0, microsecond=0, tzinfo=None)
    farcards = getattr(settings, "farcards_url", None)
    return [RKeeperSim(code, NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i + 1}"),
                       rest_code=f"1999900{i + 1:02d}", seed=seed + i, speed=speed, rate=rate,
                       start=opening, farcards_url=farcards,
                       endpoints=getattr(settings, "endpoints", None))
            for i, code in enumerate(codes)]


__all__ = ["RKeeperSim", "SimClock", "free_port", "ref", "simulators"]
