"""The simulated tills' station script: what ``station/kassa_station.pas`` does, step by step.

The script cannot run here, so this is its twin; keep the two side by side (the constants
below are read back from the .pas by a test). Per till, in its own folder:

- ``state.txt``: two lines, the last number given (``Seq``) and the last one dealt with
  (``Sent``). A new event takes ``Seq + 1``, saves the state, then writes
  ``queue/<seq, 10 digits>.xml`` — the full ``<StationEvent seq=...>`` with its guid.
- A flush sends ``Sent + 1 .. Seq`` in order, one POST at a time (2 s timeouts, the secret in
  ``X-Kassa-Secret``). 2xx: the file is deleted and ``Sent`` moves on. 400 or 413 (Kassa will
  never take this body): the file moves to ``rejected/`` and ``Sent`` moves on. A missing file
  (lost) is skipped: Kassa sees the gap. Anything else (no answer, 403, 5xx) stops the flush:
  the next try is ``RETRY_MIN_MS`` later, doubling up to ``RETRY_MAX_MS``.
- A flush runs right after each new event unless backing off, and on a ``TICK_MS`` timer;
  at most ``FLUSH_MAX`` events per flush, so the till is never held for long.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import anyio
import httpx

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper import wire
from kassa_rkeeper.sim_model import Order, Restaurant, new_guid
from kassa_rkeeper.sim_notify import dish_node, order_node, ref_node

log = logging.getLogger(__name__)

# The same names and values as the `const` block of kassa_station.pas.
TIMEOUT_MS = 2000
RETRY_MIN_MS = 2000
RETRY_MAX_MS = 30000
TICK_MS = 1000
FLUSH_MAX = 50
SECRET_HEADER = "X-Kassa-Secret"
DELIVERED, REJECTED, FAILED = "delivered", "rejected", "failed"


def outcome(status: int) -> str:
    """What the script does with an answer (one rule for every queued file)."""
    if 200 <= status < 300:
        return DELIVERED
    if status in (400, 413):
        return REJECTED
    return FAILED


class Station:
    """One till running the script: its folder, its counters, its flush loop."""

    def __init__(self, rest: Restaurant, ident: int, folder: Path, rng: Any, *,
                 url: str = "", secret: str = "", retry_min_ms: int = RETRY_MIN_MS,
                 retry_max_ms: int = RETRY_MAX_MS, tick_ms: int = TICK_MS) -> None:
        self.rest, self.ident, self.folder, self.rng = rest, ident, folder, rng
        self.url, self.secret = url, secret
        self.retry_min_ms, self.retry_max_ms, self.tick_ms = retry_min_ms, retry_max_ms, tick_ms
        self.link_up = True
        self.fails = 0
        self.next_try = 0.0  # monotonic seconds
        self.drop = 0  # fault: the next N events are lost before they reach the queue
        self.wake = anyio.Event()
        self.posts = 0  # POSTs made, answered or not
        self.boots = 0  # a restart while a POST is out: that flush is over (the till was off)
        self.seq, self.sent = self._load()

    # --- the folder -----------------------------------------------------------------------
    @property
    def queue(self) -> Path:
        return self.folder / "queue"

    def _load(self) -> tuple[int, int]:
        try:
            lines = (self.folder / "state.txt").read_text().split()
            return int(lines[0]), int(lines[1])
        except (OSError, ValueError, IndexError):
            return 0, 0

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "state.txt").write_text(f"{self.seq}\n{self.sent}\n")

    def file(self, seq: int) -> Path:
        return self.queue / f"{seq:010d}.xml"

    def pending(self) -> list[int]:
        return [n for n in range(self.sent + 1, self.seq + 1) if self.file(n).exists()]

    def restart(self) -> None:
        """The till restarts: the script reloads its counters from disk."""
        self.seq, self.sent = self._load()
        self.fails, self.next_try = 0, 0.0
        self.boots += 1

    def wipe(self) -> None:
        """The till's folder is lost (reinstall): numbering starts at 1 again."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.restart()

    # --- an event -------------------------------------------------------------------------
    def post(self, kind: str, data: dict[str, Any]) -> None:
        self.seq += 1
        self._save()
        if self.drop:
            self.drop -= 1
            log.debug("station %s: event %s dropped (fault)", self.ident, self.seq)
            return
        self.queue.mkdir(parents=True, exist_ok=True)
        self.file(self.seq).write_bytes(self.payload(kind, data, self.seq))
        self.wake.set()

    def payload(self, kind: str, data: dict[str, Any], seq: int) -> bytes:
        r = self.rest
        order: Order | None = data.get("order")
        ev = ET.Element("StationEvent")
        for k, v in (("RestCode", r.code), ("kind", kind), ("guid", new_guid(self.rng)),
                     ("DateTime", wire.fmt_dt(r.clock())), ("seq", str(seq))):
            ev.set(k, v)
        cash = ref.by_ident("CASHES", self.ident)
        ref_node(ev, "Station", cash, NetName=cash.props["NetName"] if cash else "")
        employee = data.get("employee") or (order.waiter if order else 0)
        ref_node(ev, "Employee", ref.by_ident("EMPLOYEES", employee))
        if order is not None:
            order_node(ev, "Order", order)
        for d in data.get("dishes", []) + ([data["dish"]] if "dish" in data else []):
            dish_node(ev, d)
        if kind == "service_print":
            pr = ET.SubElement(ev, "Print", printer=data["printer"],
                               category=order.category.name if order else "")
            pr.text = data["text"]
        return wire.xml_bytes(ev)

    # --- sending --------------------------------------------------------------------------
    async def flush(self, http: httpx.AsyncClient) -> None:
        done, boot = 0, self.boots
        while self.sent < self.seq and done < FLUSH_MAX:
            n = self.sent + 1
            path = self.file(n)
            if not path.exists():  # lost before it was queued: Kassa will report the gap
                self.sent = n
                self._save()
                self.fails, self.next_try = 0, 0.0
                continue
            result = await self._send(http, path.read_bytes())
            if boot != self.boots:
                return
            if result == FAILED:
                self.fails += 1
                backoff = min(self.retry_min_ms * 2 ** (self.fails - 1), self.retry_max_ms)
                self.next_try = time.monotonic() + backoff / 1000
                return
            if result == REJECTED:
                (self.folder / "rejected").mkdir(parents=True, exist_ok=True)
                path.rename(self.folder / "rejected" / path.name)
            else:
                path.unlink()
            self.sent = n
            self._save()
            self.fails, self.next_try = 0, 0.0
            done += 1

    async def _send(self, http: httpx.AsyncClient, body: bytes) -> str:
        self.posts += 1
        if not self.link_up or not self.url:
            return FAILED
        headers = {"Content-Type": "application/xml; charset=utf-8"}
        if self.secret:
            headers[SECRET_HEADER] = self.secret
        try:
            resp = await http.post(self.url, content=body, headers=headers,
                                   timeout=TIMEOUT_MS / 1000)
        except httpx.HTTPError as exc:
            log.debug("station %s: post to %s failed: %s", self.ident, self.url, exc)
            return FAILED
        return outcome(resp.status_code)

    async def run(self, http: httpx.AsyncClient) -> None:
        while True:
            if self.sent < self.seq and time.monotonic() >= self.next_try:
                await self.flush(http)
            self.wake = anyio.Event()
            with anyio.move_on_after(self.tick_ms / 1000):
                await self.wake.wait()


class Stations:
    """Every till of the simulated restaurant, each with its own folder and script."""

    def __init__(self, rest: Restaurant, rng: Any, folder: Path | None = None,
                 **options: Any) -> None:
        self.own_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="kassa-tills-"))
        self.rest = rest
        self.by_ident = {c.ident: Station(rest, c.ident, self.folder / str(c.ident), rng,
                                          **options) for c in ref.CASHES}
        rest.station_events = self.event

    def event(self, kind: str, data: dict[str, Any]) -> None:
        order: Order | None = data.get("order")
        ident = data.get("station") or (order.station if order else ref.CASHES[0].ident)
        self.by_ident.get(ident, self.by_ident[ref.CASHES[0].ident]).post(kind, data)

    def __iter__(self) -> Any:
        return iter(self.by_ident.values())

    def configure(self, **attrs: Any) -> None:
        """Set the script's settings (url, secret, retry timings) on every till."""
        for st in self:
            for k, v in attrs.items():
                setattr(st, k, v)
            st.wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient() as http, anyio.create_task_group() as tg:
            for st in self:
                tg.start_soon(st.run, http)

    def close(self) -> None:
        if self.own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
