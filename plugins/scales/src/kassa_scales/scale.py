"""A POS scale at the till: CAS, Massa-K Протокол 100 or MT-SICS over TCP or serial.

``read()`` polls until the weight is stable or ``stable_timeout`` passes (then it gives the
last, unstable reading: the till does not sell it). Garbage or no answer: the link is
dropped (the next read reconnects), the scale is marked down with one sentence, and
``RetryLater`` says nothing was weighed."""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from kassa.errors import RetryLater
from kassa.model import DeviceStatus, Event, Health, Weight

from kassa_scales import cas, massak, mtsics
from kassa_scales.kinds import Kind
from kassa_scales.link import Link
from kassa_scales.reading import ProtocolError, Reading, ScaleRefused, to_weight
from kassa_scales.settings import ScaleSettings
from kassa_scales.texts import say

log = logging.getLogger(__name__)
Emit = Callable[[Event], Awaitable[Any]]


class PosScale:
    kind = "scale"

    def __init__(self, settings: ScaleSettings, *, emit: Emit | None = None) -> None:
        self.settings = settings
        self.name = settings.name
        self.link = Link(settings)
        self.emit = emit
        self.errors = 0
        self.reads = 0
        self.last_contact: datetime | None = None
        self.problem: str | None = None  # why it is down now, one sentence
        self.down_since: datetime | None = None
        self._lock = asyncio.Lock()  # one exchange at a time on the wire

    # --- Device ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.link.connect()

    async def stop(self) -> None:
        await self.link.close()

    def status(self) -> DeviceStatus:
        detail: dict[str, Any] = {
            "protocol": self.settings.protocol, "where": self.settings.where,
            "reads": self.reads, "errors": self.errors,
            "last_contact": self.last_contact.isoformat() if self.last_contact else None}
        if self.problem:
            return DeviceStatus(health=Health.DOWN, message=self.problem, detail=detail)
        return DeviceStatus(health=Health.OK, detail=detail)

    # --- Scale ----------------------------------------------------------------------------
    async def read(self) -> Weight:
        deadline = time.monotonic() + self.settings.stable_timeout
        while True:
            r = await self.read_once()
            if r.stable or r.overload or time.monotonic() >= deadline:
                return to_weight(r)
            await asyncio.sleep(self.settings.poll_interval)

    async def read_once(self) -> Reading:
        async with self._lock:
            try:
                if not self.link.open:
                    await self.link.connect()
                r = await self._exchange()
            except asyncio.IncompleteReadError as exc:  # hung up (mid-answer: garbage)
                await self._fail("scales.garbage" if exc.partial else "scales.unreachable",
                                 exc if exc.partial else ConnectionError("the link closed"))
            except ScaleRefused as exc:
                await self._fail("scales.refused", exc)
            except (ProtocolError, ValueError, struct.error,
                    asyncio.LimitOverrunError) as exc:
                await self._fail("scales.garbage", exc)
            except (OSError, TimeoutError, ConnectionError) as exc:
                await self._fail("scales.unreachable", exc)
        await self._ok()
        return r

    async def _exchange(self) -> Reading:
        p, link = self.settings.protocol, self.link
        if p == "cas":
            await link.send(cas.POLL)
            data = await link.until(bytes([cas.CR]), limit=64)
            return cas.decode(data[data.rfind(bytes([cas.STX])):] if cas.STX in data else data)
        if p == "mtsics":
            await link.send(mtsics.encode("SI"))
            r = mtsics.decode_weight(await link.until(b"\n"), command="S")
            if not r.stable or r.overload or r.underload:
                return r
            await link.send(mtsics.encode("TA"))
            tare = mtsics.decode_weight(await link.until(b"\n"), command="TA")
            return Reading(grams=r.grams, stable=True, tare=tare.grams)
        if p == "massak":
            await link.send(massak.get_massa())
            head = await link.exactly(5)
            if head[:3] != massak.HEADER:
                raise ProtocolError(f"no Massa-K header: {head.hex(' ')}")
            (n,) = struct.unpack_from("<H", head, 3)
            if not 0 < n <= massak.MAX_BODY:
                raise ProtocolError(f"a body of {n} bytes")
            return massak.decode(massak.unframe(head + await link.exactly(n + 2)))
        raise ProtocolError(f"{p} is not a POS-scale protocol")

    async def _ok(self) -> None:
        self.reads += 1
        self.last_contact = datetime.now(UTC)
        if self.problem:
            log.info("scale %s answers again", self.name)
        self.problem, self.down_since = None, None

    async def _fail(self, text: str, exc: BaseException) -> None:
        """Drop the link (a resync is a fresh connection), mark down, alert once per outage."""
        self.errors += 1
        await self.link.close()
        s = self.settings
        reason = str(exc) or type(exc).__name__
        self.problem = say(text, s.locale, name=self.name, where=s.where, reason=reason)
        log.warning("scale %s: %s", self.name, reason)
        first = self.down_since is None
        if first:
            self.down_since = datetime.now(UTC)
            await self._alert(Kind.SCALE_UNREACHABLE, self.problem)
        raise RetryLater(self.problem) from exc

    async def _alert(self, kind: str, text: str) -> None:
        if self.emit is None or self.down_since is None:
            return
        s = self.settings
        try:
            await self.emit(Event.of(
                site=s.site or "-", kind=kind, station=s.station or None, reason=text,
                source_key=f"{kind}:{self.name}:{self.down_since.isoformat()}",
                occurred_at=self.down_since, data={"scale": self.name}))
        except Exception:  # an alert that fails must not hide the reading's own error
            log.exception("scale %s: could not emit %s", self.name, kind)
