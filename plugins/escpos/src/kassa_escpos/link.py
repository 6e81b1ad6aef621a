"""Byte links to a printer: our own anyio TCP socket (port 9100), or a serial / USB-CDC port
through python-escpos's ``Serial`` printer class (blocking pyserial, run in a thread). Both
give the driver the same three calls, so its timeouts and status reads are its own."""

from __future__ import annotations

from typing import Any, Protocol

import anyio
from anyio.abc import SocketStream


class Link(Protocol):
    async def open(self) -> None: ...
    async def send(self, data: bytes) -> None: ...
    async def recv(self, n: int) -> bytes: ...  # exactly n bytes (the caller bounds time)
    async def close(self) -> None: ...


class TcpLink:
    def __init__(self, host: str, port: int, connect_timeout: float) -> None:
        self.host, self.port, self.connect_timeout = host, port, connect_timeout
        self.stream: SocketStream | None = None
        self.pending = b""

    async def open(self) -> None:
        with anyio.fail_after(self.connect_timeout):
            self.stream = await anyio.connect_tcp(self.host, self.port)
        self.pending = b""

    async def send(self, data: bytes) -> None:
        if self.stream is None:
            raise ConnectionError("not connected")
        await self.stream.send(data)

    async def recv(self, n: int) -> bytes:
        if self.stream is None:
            raise ConnectionError("not connected")
        while len(self.pending) < n:
            chunk = await self.stream.receive()  # EndOfStream when the printer hung up
            self.pending += chunk
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    async def close(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            with anyio.CancelScope(shield=True):
                await stream.aclose()


class SerialLink:
    """python-escpos ``Serial`` (pyserial): writes and reads run in a worker thread."""

    def __init__(self, device: str, baudrate: int) -> None:
        self.device, self.baudrate = device, baudrate
        self.printer: Any = None

    async def open(self) -> None:
        from escpos.printer import Serial

        def connect() -> Any:
            p = Serial(devfile=self.device, baudrate=self.baudrate, timeout=0.2,
                       dsrdtr=False)  # a pty (and many USB-CDC adapters) has no DSR line
            p.open(raise_not_found=True)
            return p

        self.printer = await anyio.to_thread.run_sync(connect)

    async def send(self, data: bytes) -> None:
        if self.printer is None:
            raise ConnectionError("not connected")
        await anyio.to_thread.run_sync(self.printer.device.write, data)

    async def recv(self, n: int) -> bytes:
        if self.printer is None:
            raise ConnectionError("not connected")
        out = b""
        while len(out) < n:  # pyserial's read returns early on its own 0.2 s timeout
            out += await anyio.to_thread.run_sync(self.printer.device.read, n - len(out))
        return out

    async def close(self) -> None:
        printer, self.printer = self.printer, None
        if printer is not None:
            await anyio.to_thread.run_sync(printer.close)
