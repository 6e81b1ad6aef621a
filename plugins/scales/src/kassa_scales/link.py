"""One byte stream to a scale: TCP (asyncio) or a serial port (pyserial-asyncio-fast)."""

from __future__ import annotations

import asyncio

from kassa_scales.settings import ScaleSettings


class Link:
    def __init__(self, settings: ScaleSettings) -> None:
        self.settings = settings
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    @property
    def open(self) -> bool:
        return self.writer is not None

    async def connect(self) -> None:
        s = self.settings
        if s.host:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(s.host, s.port), s.timeout)
        else:
            import serial_asyncio_fast

            self.reader, self.writer = await serial_asyncio_fast.open_serial_connection(
                url=s.serial, baudrate=s.baudrate)

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            except (OSError, TimeoutError, asyncio.CancelledError):
                pass

    def abort(self) -> None:
        """Drop the connection now, without waiting: a call cut off midway leaves its answer
        unread, which the next call must not take for its own (a new link starts clean)."""
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()

    def _streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            raise ConnectionError("not connected")
        return self.reader, self.writer

    async def send(self, data: bytes) -> None:
        _, writer = self._streams()
        writer.write(data)
        await writer.drain()

    async def until(self, end: bytes, limit: int = 256) -> bytes:
        reader, _ = self._streams()
        data = await asyncio.wait_for(reader.readuntil(end), self.settings.timeout)
        if len(data) > limit:
            raise ValueError(f"{len(data)} bytes before {end!r}")
        return data

    async def exactly(self, n: int) -> bytes:
        reader, _ = self._streams()
        return await asyncio.wait_for(reader.readexactly(n), self.settings.timeout)
