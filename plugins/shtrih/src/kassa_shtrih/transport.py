"""Byte streams under the link layer: a TCP socket (anyio) or a serial line
(pyserial-asyncio-fast; 8N1 as fiscal.md §3.1 says)."""

from __future__ import annotations

import asyncio

import anyio

from kassa_shtrih.link import ByteStream


class SerialStream:
    """An asyncio serial connection as the ``ByteStream`` the link reads."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self, max_bytes: int = 65536) -> bytes:
        data = await self.reader.read(max_bytes)
        if not data:
            raise anyio.EndOfStream
        return data

    async def aclose(self) -> None:
        self.writer.close()


async def open_tcp(host: str, port: int, connect_within: float = 3.0) -> ByteStream:
    with anyio.fail_after(connect_within):
        return await anyio.connect_tcp(host, port)


async def open_serial(device: str, baud: int) -> ByteStream:
    import serial
    import serial_asyncio_fast

    reader, writer = await serial_asyncio_fast.open_serial_connection(
        url=device, baudrate=baud, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
        stopbits=serial.STOPBITS_ONE)
    return SerialStream(reader, writer)
