"""The Shtrih-M link layer (fiscal.md §3.1): frames ``STX LEN CMD DATA LRC`` and the
ENQ/ACK/NAK handshake, the same bytes over TCP (port 7778) and serial.

Pure functions first (``lrc``, ``encode_frame``, ``FrameReader``), then the host side of the
exchange (``Link``) over a byte stream. The emulator (``kassa_shtrih.sim``) uses the same pure
functions for its side of the line.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import xor
from typing import Protocol

import anyio

STX, ENQ, ACK, NAK, NUL = 0x02, 0x05, 0x06, 0x15, 0x00
MAX_PAYLOAD = 255  # LEN is one byte and counts CMD + DATA


class FrameError(ValueError):
    """A frame that cannot be right (bad LRC, zero length): the receiver answers NAK."""


class LinkDown(ConnectionError):
    """The register did not take the command (no link, no ACK): nothing was done."""


class AnswerLost(ConnectionError):
    """The command was delivered but its answer never came: the outcome is unknown."""


def lrc(data: bytes) -> int:
    """XOR of LEN..DATA (STX excluded)."""
    return reduce(xor, data, 0)


def encode_frame(payload: bytes) -> bytes:
    """``STX LEN payload LRC``; ``payload`` is CMD (1 byte, or 0xFF nn) + DATA."""
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame (1..255)")
    body = bytes([len(payload)]) + payload
    return bytes([STX]) + body + bytes([lrc(body)])


def decode_frame(frame: bytes) -> bytes:
    """The payload of one whole frame; ``FrameError`` if any byte is wrong."""
    if len(frame) < 4 or frame[0] != STX:
        raise FrameError("not a frame")
    n = frame[1]
    if n == 0 or len(frame) != n + 3:
        raise FrameError(f"length byte {n} does not match a frame of {len(frame)} bytes")
    if lrc(frame[1:-1]) != frame[-1]:
        raise FrameError("LRC mismatch")
    return frame[2:-1]


class FrameReader:
    """Incremental reader for one frame after its STX: feed bytes, get the payload when
    complete. Raises ``FrameError`` on a bad LRC or a zero length."""

    def __init__(self) -> None:
        self.buf = bytearray()

    @property
    def need(self) -> int:
        """Bytes still missing (LEN first, then payload + LRC)."""
        if not self.buf:
            return 1
        return self.buf[0] + 2 - len(self.buf)

    def feed(self, data: bytes) -> bytes | None:
        self.buf += data
        if self.buf and self.buf[0] == 0:
            raise FrameError("zero length")
        if self.need > 0:
            return None
        if self.need < 0:
            raise FrameError("more bytes than the length says")
        return decode_frame(bytes([STX]) + bytes(self.buf))


def command_code(payload: bytes) -> int:
    """The command of a request/answer payload: 0xFFnn for FN commands, else one byte."""
    if payload[0] == 0xFF and len(payload) > 1:
        return 0xFF00 | payload[1]
    return payload[0]


class ByteStream(Protocol):
    async def send(self, data: bytes) -> None: ...
    async def receive(self, max_bytes: int = 65536) -> bytes: ...
    async def aclose(self) -> None: ...


class Link:
    """The host's side: one command at a time, ACK per frame, bounded retransmits.

    ``byte_timeout`` bounds the gap inside a frame and the wait for ACK/NAK;
    ``answer_timeout`` the wait for an answer's STX (printing takes time)."""

    def __init__(self, stream: ByteStream, *, byte_timeout: float = 0.5,
                 answer_timeout: float = 10.0, retries: int = 3) -> None:
        self.stream = stream
        self.byte_timeout = byte_timeout
        self.answer_timeout = answer_timeout
        self.retries = retries
        self._rx = bytearray()
        self.on_stale: Callable[[bytes], None] | None = None  # an old answer read on ENQ

    async def _byte(self, wait: float) -> int | None:
        if not self._rx:
            with anyio.move_on_after(wait):
                data = await self.stream.receive()
                if not data:
                    raise anyio.EndOfStream
                self._rx += data
            if not self._rx:
                return None
        b = self._rx[0]
        del self._rx[0]
        return b

    async def _read_frame(self, first_timeout: float) -> bytes | None:
        """An answer frame's payload; ``None`` on silence; ``FrameError`` on bad bytes."""
        while True:
            b = await self._byte(first_timeout)
            if b is None:
                return None
            if b == STX:
                break  # anything before STX is line noise
        reader = FrameReader()
        while True:
            b = await self._byte(self.byte_timeout)
            if b is None:
                raise FrameError("frame cut short")
            payload = reader.feed(bytes([b]))
            if payload is not None:
                return payload

    async def probe(self) -> bool:
        """ENQ until NAK (idle). ACK = an answer is pending: read it, ACK it, ask again. A
        busy register stays silent, so keep asking for up to ``answer_timeout``. True if
        the register is idle and listening."""
        deadline = anyio.current_time() + self.answer_timeout
        unusual = False
        while True:
            self._rx.clear()
            await self.stream.send(bytes([ENQ]))
            b = await self._byte(self.byte_timeout)
            if b == NAK:
                if unusual:
                    await self._drain()  # answers to ENQs queued while it was busy
                return True
            if b == ACK:
                unusual = True
                old = await self._receive_answer()
                if old is not None and self.on_stale is not None:
                    self.on_stale(old)
            elif b is not None:
                unusual = True
                await self._drain()  # leftovers of an exchange cut short: skip them
            elif anyio.current_time() > deadline:
                return False

    async def _drain(self) -> None:
        self._rx.clear()
        while True:
            got = b""
            with anyio.move_on_after(self.byte_timeout / 5):
                got = await self.stream.receive()
            if not got:
                return

    async def _receive_answer(self) -> bytes | None:
        """Read an answer, ACK it; on a bad frame NAK + ENQ to have it sent again."""
        for _ in range(self.retries):
            try:
                payload = await self._read_frame(self.answer_timeout)
            except FrameError:
                await anyio.sleep(self.byte_timeout / 5)  # let the rest of the frame drain
                self._rx.clear()
                await self.stream.send(bytes([NAK]))
                await self.stream.send(bytes([ENQ]))
                b = await self._byte(self.byte_timeout)
                if b != ACK:
                    return None
                continue
            if payload is None:
                return None
            await self.stream.send(bytes([ACK]))
            return payload
        return None

    async def exchange(self, payload: bytes) -> bytes:
        """Send one command and return its answer payload (CMD, error byte, data).
        ``LinkDown``: the register never took it; ``AnswerLost``: it may have acted."""
        frame = encode_frame(payload)
        try:
            alive = await self.probe()
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError) as exc:
            raise LinkDown(f"the link is down: {exc!r}") from exc
        if not alive:
            raise LinkDown("the register does not answer ENQ")
        try:
            delivered = False
            for _ in range(self.retries):
                await self.stream.send(frame)
                b = await self._byte(self.byte_timeout)
                if b == ACK:
                    delivered = True
                    break
                if b is None:
                    # no ACK: ask whether it took the command (ACK = an answer is pending)
                    await self.stream.send(bytes([ENQ]))
                    b = await self._byte(self.byte_timeout)
                    if b == ACK:
                        delivered = True
                        break
                    if b is None:
                        raise AnswerLost("the register went silent after the command")
                # NAK: a line error, not a command error -> send the frame again
            if not delivered:
                raise LinkDown(f"the register refused the frame {self.retries} times (NAK)")
            answer = await self._receive_answer()
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError) as exc:
            if isinstance(exc, (LinkDown, AnswerLost)):
                raise
            raise AnswerLost(f"the link broke: {exc!r}") from exc
        if answer is None:
            raise AnswerLost("no answer to the command")
        return answer
