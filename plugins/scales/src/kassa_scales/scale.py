"""A POS scale at the till: CAS (PD-II or type 1), Massa-K Протокол 100, MT-SICS or Shtrih
POS2, over TCP or serial.

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

from kassa_scales import cas, massak, mtsics, pos2
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
        self._channel: pos2.Channel | None = None  # a POS2 scale's, read once a connection

    # --- Device ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.link.connect()

    async def stop(self) -> None:
        await self.link.close()

    def status(self) -> DeviceStatus:
        detail: dict[str, Any] = {
            "protocol": self.settings.protocol, "where": self.settings.where,
            **({"variant": self.settings.variant} if self.settings.variant else {}),
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
                    self._channel = None
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
        if p == "cas" and self.settings.variant == "type1":
            return await self._cas_type1()
        if p == "shtrih_pos2":
            if self._channel is None:
                (number,) = await self._pos2(pos2.CHANNEL_NUMBER)
                self._channel = pos2.Channel.decode(
                    await self._pos2(pos2.CHANNEL_PARAMS, bytes([number])))
            data = await self._pos2(pos2.READ_WEIGHT, pos2.password(self.settings.password))
            return pos2.decode_weight(data, self._channel)
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

    async def _cas_type1(self) -> Reading:
        """ENQ -> ACK (NAK: not ready, ask again) -> DC1 -> the weight frame."""
        link = self.link
        for _ in range(3):
            await link.send(bytes([cas.ENQ]))
            (b,) = await link.exactly(1)
            if b == cas.ACK:
                break
            if b != cas.NAK:
                raise ProtocolError(f"0x{b:02x} in answer to ENQ")
            await asyncio.sleep(self.settings.poll_interval)
        else:
            raise ScaleRefused("NAK", "весы трижды ответили, что не готовы передать вес")
        await link.send(bytes([cas.DC1]))
        return cas.decode_type1(await link.exactly(cas.TYPE1_LEN))

    async def _pos2(self, cmd: int, data: bytes = b"") -> bytes:
        """One POS2 command over the Shtrih-M link layer (fiscal.md §3.1): the answer's data
        after a zero error byte."""
        link = self.link
        await link.send(bytes([pos2.ENQ]))
        (b,) = await link.exactly(1)
        if b == pos2.ACK:  # an answer left from before (its request timed out): drop it
            await self._pos2_frame()
            await link.send(bytes([pos2.ACK]))
            await link.send(bytes([pos2.ENQ]))
            (b,) = await link.exactly(1)
        if b != pos2.NAK:
            raise ProtocolError(f"0x{b:02x} in answer to ENQ")
        request = pos2.frame(cmd, data)
        for _ in range(3):  # a NAK is a line error, not a refusal: send it again
            await link.send(request)
            (b,) = await link.exactly(1)
            if b == pos2.ACK:
                break
            if b != pos2.NAK:
                raise ProtocolError(f"0x{b:02x} in answer to a command")
        else:
            raise ProtocolError("the scale took the command for a line error three times")
        for attempt in range(3):
            try:
                answer = await self._pos2_frame()
            except pos2.BadLrc:
                if attempt == 2:
                    raise
                await link.send(bytes([pos2.NAK]))  # then ENQ: the scale repeats it
                await link.send(bytes([pos2.ENQ]))
                (b,) = await link.exactly(1)
                if b != pos2.ACK:
                    raise ProtocolError(f"0x{b:02x} when asked to repeat") from None
                continue
            await link.send(bytes([pos2.ACK]))
            return pos2.answer_data(cmd, answer)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pos2_frame(self) -> tuple[int, bytes]:
        head = await self.link.exactly(2)
        if head[0] != pos2.STX or head[1] == 0:
            raise ProtocolError(f"no Shtrih frame: {head.hex(' ')}")
        return pos2.unframe(head + await self.link.exactly(head[1] + 1))

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
