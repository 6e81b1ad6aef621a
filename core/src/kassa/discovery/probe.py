"""``PortProbe``: the one place discovery writes to a port, for one driver's call at a time,
every exchange bounded by a short timeout (blocking I/O in a worker thread, select-bounded)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import termios
import time
import tty

import anyio

from kassa.discovery.values import Candidate, ProbeRefused

BAUDS = {1200: termios.B1200, 2400: termios.B2400, 4800: termios.B4800,
         9600: termios.B9600, 19200: termios.B19200, 38400: termios.B38400,
         57600: termios.B57600, 115200: termios.B115200}


class PortProbe:
    """``kassa.hookspecs.devices.Probe`` over one candidate's port, for one driver's call."""

    def __init__(self, candidate: Candidate, *, active: bool, locale: str = "ru",
                 wait: float = 0.3) -> None:
        self.candidate, self.active, self.locale, self.wait = candidate, active, locale, wait
        self._sock: socket.socket | None = None
        self._fd: int | None = None
        self._baud: int | None = None

    async def exchange(self, data: bytes, *, size: int = 0, until: bytes = b"",
                       wait: float | None = None, baudrate: int = 9600) -> bytes:
        if not self.active:
            raise ProbeRefused("the passive round decides from ids only")
        if not self.candidate.host and not self.candidate.path:
            raise ProbeRefused(f"{self.candidate.address} has no port to talk to")
        wait = min(wait or self.wait, 5.0)  # short, whatever a driver asks
        return await anyio.to_thread.run_sync(self._exchange, data, size, until, wait, baudrate)

    def _exchange(self, data: bytes, size: int, until: bytes, wait: float,
                  baudrate: int) -> bytes:
        got = b""
        try:
            fd = self._open(baudrate, wait)
            if data and self._sock is not None:
                self._drain_socket()
                self._sock.sendall(data)
            elif data:
                termios.tcflush(fd, termios.TCIFLUSH)  # drop what a previous probe provoked
                os.write(fd, data)
            deadline = time.monotonic() + wait
            while (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    break
                chunk = self._sock.recv(4096) if self._sock is not None else os.read(fd, 4096)
                if not chunk:
                    break  # the peer hung up
                got += chunk
                if (size and len(got) >= size) or (until and until in got):
                    break
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            # a device that hangs up or resets is an answer ("not mine"), not a driver's bug
            self.close()
        return got

    def _open(self, baudrate: int, wait: float) -> int:
        c = self.candidate
        if c.host:
            if self._sock is None:
                self._sock = socket.create_connection((c.host, c.port), timeout=wait)
            return self._sock.fileno()
        if self._fd is None:
            self._fd = os.open(c.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        if self._baud != baudrate:
            fd, speed = self._fd, BAUDS.get(baudrate)
            if speed is None:
                raise ValueError(f"baud rate {baudrate} is not one of {sorted(BAUDS)}")
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[2] = (attrs[2] & ~(termios.CSTOPB | termios.PARENB)) | termios.CLOCAL \
                | termios.CREAD
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
            self._baud = baudrate
        return self._fd

    def _drain_socket(self) -> None:
        assert self._sock is not None
        timeout = self._sock.gettimeout()
        self._sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while self._sock.recv(4096):
                pass
        self._sock.settimeout(timeout)  # blocking again, but never without a bound

    def close(self) -> None:
        sock, fd, self._sock, self._fd, self._baud = self._sock, self._fd, None, None, None
        if sock is not None:
            sock.close()
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
