"""Byte links to a printer: our own anyio TCP socket (port 9100), a serial / USB-CDC port
through python-escpos's ``Serial`` printer class (blocking pyserial, run in a thread), or a
USB printer-class device through the kernel's usblp driver (``/dev/usb/lp0``). All give the
driver the same calls, so its timeouts and status reads are its own."""

from __future__ import annotations

import errno
import os
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


class UsbLpLink:
    """A USB printer-class device as the kernel's usblp driver shows it: a character device
    (``/dev/usb/lp0``) written to and, on a bidirectional printer, read from (the DLE EOT
    answers). Opened non-blocking and waited on with the event loop, so a read never holds
    a thread and a cancel stops it at once. (python-escpos's ``Usb`` class needs libusb and
    detaching usblp; its ``File`` class cannot read the status back.)"""

    def __init__(self, device: str) -> None:
        self.device = device
        self.fd: int | None = None

    async def open(self) -> None:
        self.fd = os.open(self.device, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)

    async def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            fd = self._fd()
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:  # the printer's buffer is full: wait until it drains
                await anyio.wait_writable(fd)

    async def recv(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            fd = self._fd()
            try:
                chunk = os.read(fd, n - len(out))
            except BlockingIOError:
                await anyio.wait_readable(fd)
                continue
            except OSError as exc:  # unplugged: the device file is gone under us
                if exc.errno in (errno.ENODEV, errno.EIO):
                    raise ConnectionError(os.strerror(exc.errno)) from exc
                raise
            if not chunk:  # nothing to read yet (usblp answers 0 bytes on no data)
                await anyio.sleep(0.02)
            out += chunk
        return out

    def _fd(self) -> int:
        if self.fd is None:
            raise ConnectionError("not connected")
        return self.fd

    async def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)
