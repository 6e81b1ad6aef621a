"""The r_keeper EventSource of one site: push listener + poller + connection monitor.

Push (HTTP Order Notify, station script) is the fast path; polling with ``lastversion`` is the
fallback, the liveness probe, and the catch-up after any gap or outage. Both feed one
``OrderTracker`` whose keys make re-reads harmless.

The listener binds again every ``LISTEN_RETRY_S`` while it cannot (polling goes on meanwhile,
``health()`` says so). What the hub saw last (time, shift, stations' numbers) is kept in the
store, so after the hub was down the source says what it could not read back (``hub_gap``).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import anyio
from kassa.hookspecs.events import Emit
from kassa.model import Event, EventKind
from kassa.ports import bind_error

from kassa_rkeeper import httpserve, mapping, notify, wire
from kassa_rkeeper.client import AuthError, LinkError, RK7Client
from kassa_rkeeper.door import Door
from kassa_rkeeper.kinds import Kind
from kassa_rkeeper.memory import SiteMemory
from kassa_rkeeper.settings import RKeeperSettings
from kassa_rkeeper.tracker import OrderTracker

log = logging.getLogger(__name__)

EMITTED_LIMIT = 50000
SKEW_WARN_S = 300
LISTEN_RETRY_S = 1.0  # bind again this often while the port is taken
SEEN_EVERY_S = 10.0  # how often "the hub is running" is written down
PUSH_ERROR_LOG_S = 10.0  # a failing store is logged once per this many seconds


_SKEW_TOLD: list[float] = []  # an expected skew is told once per process, not per site


def _expected_skew(skew_s: float) -> None:
    if _SKEW_TOLD:
        return
    _SKEW_TOLD.append(skew_s)
    hours, minutes = divmod(round(abs(skew_s)) // 60, 60)
    log.info("the simulated day runs %d h %d min %s our clock: expected in the simulator "
             "(expected_clock_skew = true)", hours, minutes,
             "ahead of" if skew_s > 0 else "behind")


class RKeeperSource:
    name = "rkeeper"

    def __init__(self, site: str, cfg: RKeeperSettings, timezone: str = "Europe/Moscow",
                 site_name: str = "", hub: Any = None) -> None:
        self.site = site
        self.site_name = site_name or site
        self.cfg = cfg
        self.tz = ZoneInfo(timezone)
        self.tracker = OrderTracker(site, self.to_time)
        self.pushes = notify.Interpreter(site, self.to_time, cfg.restaurant_code,
                                         dict(cfg.situations))
        self.client: RK7Client | None = None
        self.door = Door(site, cfg)
        self.memory = SiteMemory(site, hub)
        self.clock = getattr(hub, "clock", None)  # the hub's (one clock); None: the wall's
        self.listen_port: int | None = None
        self.listening = False
        self.listen_error: str | None = None
        self.ready = anyio.Event()
        self._gap_from: datetime | None = None  # the hub was down since (reported once)
        self._started_at: datetime | None = None
        self._seen_saved = 0.0
        self._emit: Emit | None = None
        self._emitted: OrderedDict[str, None] = OrderedDict()
        self._dirty: set[str] = set()
        self._wake = anyio.Event()
        self._lock = anyio.Lock()
        self._full = True
        self._order_ver = ""
        self._receipt_ver = ""
        self._last_ok = time.monotonic()
        self._last_ok_at: datetime | None = None
        self._offline_since: datetime | None = None
        self._auth_failed = False
        self.error: str | None = None
        self.skew_s = 0.0
        self.stats = {"pushes": 0, "bad_pushes": 0, "push_errors": 0, "polls": 0, "emitted": 0}
        self._push_error_logged = float("-inf")

    def now(self) -> datetime:
        """Now in the site's zone, from the hub's clock (a fake one in tests)."""
        return (self.clock.now() if self.clock is not None else datetime.now(UTC)
                ).astimezone(self.tz)

    def to_time(self, text: str | None) -> datetime:
        parsed = wire.parse_dt(text)
        return parsed.replace(tzinfo=self.tz) if parsed else self.now()

    def health(self) -> dict[str, Any]:
        """``online`` is false while the cash server is silent, refuses us, or the push
        listener is down (``listening``)."""
        return {"online": (self._offline_since is None and not self._auth_failed
                           and self.listening),
                "listening": self.listening, "listen_error": self.listen_error,
                "error": self.error, "listen_port": self.listen_port,
                "last_ok": self._last_ok_at.isoformat() if self._last_ok_at else None,
                "clock_skew_s": round(self.skew_s, 1), **self.stats}

    # --- run ------------------------------------------------------------------------------
    async def run(self, emit: Emit) -> None:
        self._emit = emit
        self.client = RK7Client(self.cfg.base_url, self.cfg.user, self.cfg.password,
                                timeout=self.cfg.timeout, verify_tls=self.cfg.verify_tls)
        try:
            await self.door.resolve()
            await self._remember()
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._listen)
                await self._poll_loop()
        finally:
            with anyio.CancelScope(shield=True):
                await self.client.aclose()
                self._seen_saved = 0.0  # a clean stop: the gap starts now, not at the last save
                await self._save_seen()

    async def _listen(self) -> None:
        """Serve pushes; when the port cannot be bound, try again every LISTEN_RETRY_S."""
        down = False
        while True:
            try:
                async with httpserve.serve(self._on_push, self.cfg.listen_host,
                                           self.cfg.listen_port,
                                           max_body=self.cfg.max_body) as port:
                    self.listen_port, self.listening, self.listen_error = port, True, None
                    self.ready.set()
                    log.info("site %s: r_keeper notify listener on %s:%s%s%s", self.site,
                             self.cfg.listen_host, port, self.cfg.notify_path,
                             " (back)" if down else "")
                    down = False
                    await anyio.sleep_forever()
            except OSError as exc:
                self.listening = False
                self.listen_error = self._bind_failed(exc, first=not down)
                if not down:  # an alert once per outage: pushes are not arriving
                    now = datetime.now(self.tz)
                    await self._out([Event.of(site=self.site, kind=Kind.PUSH_LISTENER_DOWN,
                                              source_key=f"listener_down:{now.isoformat()}",
                                              occurred_at=now, text=self.listen_error)])
                down = True
            await anyio.sleep(LISTEN_RETRY_S)

    def _bind_failed(self, exc: OSError, *, first: bool) -> str:
        """One clear line when the listener goes down, quiet retries after it."""
        # names who holds the port, as the admin API's bind error does
        text = bind_error("the r_keeper push listener", self.cfg.listen_host,
                          self.cfg.listen_port, exc)
        if first:
            log.error("site %s: %s; trying again every %.0f s, polling meanwhile", self.site,
                      text, LISTEN_RETRY_S)
        return text

    async def _remember(self) -> None:
        """Load what the hub saw before it stopped: the shift, stations' numbers, and when."""
        try:
            mem = await self.memory.load()
        except Exception as exc:  # keep reading the cash server; the gap check is lost
            log.warning("site %s: cannot read what the hub saw before it stopped: %s",
                        self.site, exc)
            mem = {}
        self._started_at = self.now()
        if "shift" in mem and "shift_day" in mem:
            day = date.fromordinal(mem["shift_day"]).isoformat()
            self.tracker.shift = {"num": str(mem["shift"]), "date": day}
        self.pushes.station_seq.update({k[3:]: v for k, v in mem.items() if k.startswith("st:")})
        seen = mem.get("seen")
        if seen is not None:
            last = datetime.fromtimestamp(seen, UTC).astimezone(self.tz)
            if (self._started_at - last).total_seconds() >= self.cfg.hub_gap_after:
                self._gap_from = last
        await self._save_seen()

    async def _save_seen(self) -> None:
        now = time.monotonic()
        if now - self._seen_saved < SEEN_EVERY_S and self._seen_saved:
            return
        self._seen_saved = now
        values = {"seen": int(self.now().timestamp())}
        shift = self.tracker.shift
        day = wire.parse_dt(shift.get("date")) or wire.parse_dt((shift.get("date") or "")[:10])
        if shift.get("num", "").isdigit() and day is not None:
            values |= {"shift": int(shift["num"]), "shift_day": day.toordinal()}
        try:
            await self.memory.save(values)
        except Exception as exc:  # the store failing must not stop reading the cash server
            log.warning("site %s: cannot write down when the hub last ran: %s", self.site, exc)

    async def _out(self, events: list[Event]) -> None:
        assert self._emit is not None
        for ev in events:
            if ev.source_key in self._emitted:
                continue
            await self._emit(ev)
            self.stats["emitted"] += 1
            self._emitted[ev.source_key] = None
            if len(self._emitted) > EMITTED_LIMIT:
                self._emitted.popitem(last=False)

    # --- push -----------------------------------------------------------------------------
    async def _on_push(self, request: httpserve.Request) -> httpserve.Response:
        if not await self.door.admits(request.client):
            self.door.refuse(request.client, "the address is not the cash server's and not in "
                             "the allow-list")
            return httpserve.Response(403, b"forbidden", "text/plain")
        if request.path.split("?")[0] != self.cfg.notify_path or request.method != "POST":
            return httpserve.Response(404, b"not found", "text/plain")
        try:
            root = notify.parse(request.body)
        except notify.BadPush as exc:
            self.stats["bad_pushes"] += 1
            log.warning("site %s: rejected a push to %s: %s", self.site, self.cfg.notify_path, exc)
            return httpserve.Response(400, f"bad notify: {exc}".encode(), "text/plain")
        if not self.door.signed(root.tag, request.client, request.path, request.headers):
            self.door.refuse(request.client, f"<{root.tag}> without the shared secret")
            return httpserve.Response(403, b"forbidden", "text/plain")
        try:
            outcome = self.pushes.accept(root)
        except notify.BadPush as exc:
            self.stats["bad_pushes"] += 1
            log.warning("site %s: rejected a push to %s: %s", self.site, self.cfg.notify_path, exc)
            return httpserve.Response(400, f"bad notify: {exc}".encode(), "text/plain")
        self.stats["pushes"] += 1
        try:
            await self._out(outcome.events)
            if outcome.station is not None:  # the till's number, for gaps across restarts
                station, seq = outcome.station
                await self.memory.save({f"st:{station}": seq})
        except Exception as exc:  # the store failed: not acknowledged, so r_keeper resends it
            self.stats["push_errors"] += 1
            if time.monotonic() - self._push_error_logged >= PUSH_ERROR_LOG_S:
                self._push_error_logged = time.monotonic()
                log.error("site %s: could not store a push (%s: %s); answered 500 so it is "
                          "sent again (%s such so far)", self.site, type(exc).__name__, exc,
                          self.stats["push_errors"])
            return httpserve.Response(500, b"not stored, send it again", "text/plain")
        self.pushes.done(outcome)
        if outcome.orders or outcome.catch_up:
            self._dirty.update(outcome.orders)
            self._full = self._full or outcome.catch_up
            self._wake.set()
        return httpserve.Response(200, b"<Ok/>")

    # --- poll -----------------------------------------------------------------------------
    async def _poll_loop(self) -> None:
        while True:
            await self.poll_once()
            await self._save_seen()
            with anyio.move_on_after(self.cfg.poll_interval):
                await self._wake.wait()
            self._wake = anyio.Event()

    async def poll_once(self) -> None:
        async with self._lock:
            self.stats["polls"] += 1
            try:
                events = await self._read()
            except AuthError as exc:
                if not self._auth_failed:
                    log.error("site %s (%s): %s at %s as user %r; retrying every %ss", self.site,
                              self.site_name, exc, self.cfg.base_url, self.cfg.user,
                              self.cfg.poll_interval)
                self._auth_failed = True
                self.error = f"{exc}"
                return
            except wire.RK7Error as exc:
                # The server answers (e.g. 2172 while the shift closes): online; retry next round.
                self.error = str(exc)
                log.info("site %s: %s", self.site, exc)
                await self._succeeded()
                return
            except LinkError as exc:
                self.error = str(exc)
                log.debug("site %s: poll failed: %s", self.site, exc)
                await self._failed()
                return
            self._auth_failed = False
            self.error = None
            await self._succeeded()  # site_online goes before what is caught up
            await self._out(events)

    async def _read(self) -> list[Event]:
        assert self.client is not None
        info = await self.client.system_info()
        self._measure_skew()
        self._check_shift(info)
        if not self.tracker.reason_flags:
            self.tracker.load_reasons(await self.client.ref_data("ORDERVOIDS"))
        events: list[Event] = []
        if self._full:
            self._order_ver = self._receipt_ver = ""
        orders, self._order_ver = await self.client.order_list(self._order_ver)
        listed: set[str] = set()
        if orders is not None:
            for o in orders.iter("Order"):
                guid = o.get("guid", "")
                listed.add(guid)
                if self.tracker.versions.get(guid) != o.get("Version"):
                    self._dirty.add(guid)
        receipts, self._receipt_ver = await self.client.receipt_list(self._receipt_ver)
        if receipts is not None:
            for r in receipts.iter("Receipt"):
                self.tracker.note_receipt(r)
                guid = r.findall("Order")[0].get("guid", "") if r.findall("Order") else ""
                if orders is not None and guid not in listed:
                    events += self.tracker.receipt_without_order(r)
                events += self.tracker.bill_of_receipt(r)
        for guid in sorted(self._dirty):
            try:
                order = await self.client.order(guid)
                self.tracker.server_now = self.client.server_time
            except wire.RK7Error as exc:
                if exc.status == wire.EXEC_ERROR:  # vanished between list and get
                    log.info("site %s: order %s vanished before GetOrder: %s", self.site, guid,
                             exc.text)
                    self._dirty.discard(guid)
                    continue
                raise
            events += self.tracker.diff(order)
            self._dirty.discard(guid)
        self._full = False
        return events

    def _measure_skew(self) -> None:
        server = wire.parse_dt(self.client.server_time if self.client else None)
        if server is None:
            return
        skew = (server.replace(tzinfo=self.tz) - self.now()).total_seconds()
        if abs(skew) > SKEW_WARN_S and abs(self.skew_s) <= SKEW_WARN_S:
            if self.cfg.expected_clock_skew:
                _expected_skew(skew)
            else:
                log.warning("site %s: cash server clock differs from ours by %.0f s; events "
                            "keep the server's time", self.site, skew)
        self.skew_s = skew

    def _check_shift(self, info: ET.Element) -> None:
        shift = info.find("CommonShift")
        if shift is None:
            return
        num, day = shift.get("ShiftNum"), shift.get("ShiftDate")
        old = self.tracker.shift
        # the day alone: a shift remembered across a restart keeps only its date
        if old and (old["num"], (old["date"] or "")[:10]) != (num, (day or "")[:10]):
            self._pending_shift = Event.of(
                site=self.site, kind=Kind.SHIFT_CLOSED,
                source_key=notify.shift_key(old["num"], old["date"]),
                occurred_at=self.to_time(shift.get("ShiftStartTime")),
                data={"shift": old["num"], "shift_date": old["date"], "next_shift": num,
                      "rk_fact": "shift_changed"})
        self.tracker.shift = {"num": num, "date": day}

    _pending_shift: Event | None = None

    async def _succeeded(self) -> None:
        now = self.now()
        if self._gap_from is not None:
            await self._out([self._hub_gap(self._gap_from)])
            self._gap_from = None
        if self._pending_shift is not None:
            await self._out([self._pending_shift])
            self._pending_shift = None
        if self._offline_since is not None:
            outage = time.monotonic() - self._last_ok
            since = self._offline_since
            self._offline_since = None
            log.info("site %s: cash server answers again after %.0f s", self.site, outage)
            await self._out([Event.of(site=self.site, kind=EventKind.SITE_ONLINE,
                                      source_key=f"online:{since.isoformat()}", occurred_at=now,
                                      data={"outage_s": round(outage, 1),
                                            "offline_since": since.isoformat()})])
            self._full = True
            self._wake.set()  # catch up what happened meanwhile
        self._last_ok = time.monotonic()
        self._last_ok_at = now

    def _hub_gap(self, since: datetime) -> Event:
        """The hub was not running from ``since``: the full read that follows reconstructs
        the orders still on the cash server; what it cannot is said here (docs: rkeeper.md)."""
        until = self._started_at or self.now()
        closed = self._pending_shift.data["shift"] if self._pending_shift is not None else None
        log.warning("site %s: the hub was not running from %s to %s; reading back what the "
                    "cash server still has", self.site, since.isoformat(timespec="seconds"),
                    until.isoformat(timespec="seconds"))
        return Event.of(site=self.site, kind=mapping.kind_of("hub_gap"),
                        source_key=f"hub_gap:{int(since.timestamp())}", occurred_at=until,
                        text=(f"{since.isoformat(timespec='minutes')} - "
                              f"{until.isoformat(timespec='minutes')}"),
                        data={"from": since.isoformat(), "until": until.isoformat(),
                              "down_s": round((until - since).total_seconds()),
                              "shift_closed": closed})

    async def _failed(self) -> None:
        silent = time.monotonic() - self._last_ok
        if self._offline_since is None and silent >= self.cfg.offline_after:
            since = self._last_ok_at or self.now()
            self._offline_since = since
            log.warning("site %s (%s): cash server %s silent for %.0f s", self.site,
                        self.site_name, self.cfg.base_url, silent)
            await self._out([Event.of(site=self.site, kind=EventKind.SITE_OFFLINE,
                                      source_key=f"offline:{since.isoformat()}",
                                      occurred_at=self.now(),
                                      data={"silent_s": round(silent, 1), "error": self.error})])
