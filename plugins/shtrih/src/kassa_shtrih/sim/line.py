"""The register's side of the line (fiscal.md §3.1, §12): NUL/ENQ probing (NAK idle, ACK
when an answer is pending), ACK per good frame, NAK on a bad LRC (a NAK is a line error, not a
command error), the pending answer sent again on ENQ after the host's NAK, a 50 ms byte timeout
inside a frame, and silence while "disconnected"."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import anyio

from kassa_shtrih.link import (
    ACK,
    ENQ,
    NAK,
    NUL,
    STX,
    FrameError,
    FrameReader,
    command_code,
    encode_frame,
)

if TYPE_CHECKING:
    from kassa_shtrih.link import ByteStream
    from kassa_shtrih.sim.server import ShtrihSimulator

BYTE_TIMEOUT = 0.05  # rosix doc: 50 ms between bytes of a frame


class Line:
    """One connection (a TCP client or the pty). ``closable``: a TCP line ends the
    connection to drop an answer; a serial line can only go quiet."""

    def __init__(self, sim: ShtrihSimulator, stream: ByteStream, *, closable: bool) -> None:
        self.sim = sim
        self.stream = stream
        self.closable = closable
        self.pending: bytes | None = None  # the last answer, until the host ACKs it
        self.rx = bytearray()
        self.mute_until = 0.0

    async def _byte(self, wait: float | None) -> int | None:
        if not self.rx:
            if wait is None:
                data = await self.stream.receive()
            else:
                data = b""
                with anyio.move_on_after(wait):
                    data = await self.stream.receive()
                if not data:
                    return None
            self.rx += data
        b = self.rx[0]
        del self.rx[0]
        return b

    async def _send(self, data: bytes) -> None:
        await self.stream.send(data)
        self.sim.wire.append(("out", data))

    def _muted(self) -> bool:
        return self.sim.disconnected or anyio.current_time() < self.mute_until

    async def serve(self) -> None:
        try:
            while True:
                b = await self._byte(None)
                if b is None:
                    continue
                self.sim.wire.append(("in", bytes([b])))
                if self._muted():
                    continue  # no link: the host hears nothing
                if b in (ENQ, NUL):
                    if self.pending is not None and b == ENQ:
                        await self._send(bytes([ACK]))
                        await self._send(encode_frame(self.pending))
                    else:
                        await self._send(bytes([NAK]))
                elif b == ACK:
                    self.pending = None
                elif b == NAK:
                    pass  # the host wants the answer again: it will send ENQ
                elif b == STX:
                    await self._frame()
                # any other byte is line noise
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError,
                OSError):
            return

    async def _frame(self) -> None:
        reader = FrameReader()
        try:
            while True:
                b = await self._byte(BYTE_TIMEOUT)
                if b is None:
                    return  # cut short: dropped; the host's ENQ finds nothing pending
                payload = reader.feed(bytes([b]))
                if payload is not None:
                    break
        except FrameError:
            self.rx.clear()
            await self._send(bytes([NAK]))
            return
        self.sim.wire.append(("frame", payload))
        if self.sim.nak_frames:
            self.sim.nak_frames -= 1
            await self._send(bytes([NAK]))
            return
        await self._send(bytes([ACK]))
        self.pending = None
        answer = await self.sim.execute(payload)
        self.pending = answer
        frame = encode_frame(answer)
        if self.sim.drop_answers or self.sim.drop_answer_to == command_code(payload):
            if self.sim.drop_answer_to == command_code(payload):
                self.sim.drop_answer_to = None
            else:
                self.sim.drop_answers -= 1
            self.pending = None
            await self._send(frame[:len(frame) // 2])
            if self.closable:
                raise anyio.EndOfStream
            self.mute_until = anyio.current_time() + self.sim.mute_seconds
            return
        if self.sim.corrupt_answers:
            self.sim.corrupt_answers -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        await self._send(frame)


class PtyStream:
    """The master side of a pty as a byte stream (non-blocking reads via the event loop)."""

    def __init__(self) -> None:
        import tty

        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line discipline: bytes as they are
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.closed = False

    async def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
            except BlockingIOError:
                await anyio.wait_writable(self.master)
                continue
            view = view[n:]

    async def receive(self, max_bytes: int = 65536) -> bytes:
        while True:
            if self.closed:
                raise anyio.ClosedResourceError
            try:
                return os.read(self.master, max_bytes)
            except BlockingIOError:
                await anyio.wait_readable(self.master)

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            anyio.notify_closing(self.master)
            os.close(self.master)
            os.close(self.slave)
