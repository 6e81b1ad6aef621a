"""Serve one emulator over TCP (127.0.0.1) or a pty (``os.openpty``: a serial port a
driver opens by its path)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Mapping
from typing import Any, Protocol


class Emulator(Protocol):
    protocol: str

    def feed(self, data: bytes) -> bytes: ...


class ScaleSimulator:
    """``start()`` gives the ``[[scales.devices]]`` fragment pointing at it."""

    def __init__(self, emulator: Emulator, *, name: str = "scale", site: str = "s1",
                 host: str = "127.0.0.1", port: int = 0, pty: bool = False) -> None:
        self.emulator = emulator
        self.name, self.site, self.host, self.port, self.pty = name, site, host, port, pty
        self.server: asyncio.Server | None = None
        self.master: int | None = None
        self.slave: int | None = None
        self.path = ""
        self.connections = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self.fragment: dict[str, Any] = {}

    async def start(self) -> Mapping[str, Any]:
        device: dict[str, Any] = {"name": self.name, "protocol": self.emulator.protocol,
                                  **getattr(self.emulator, "extra", {}), "site": self.site}
        if self.pty:
            self.master, self.slave = os.openpty()
            tty.setraw(self.slave)  # no echo, no line discipline: bytes as on a wire
            os.set_blocking(self.master, False)
            self.path = os.ttyname(self.slave)
            asyncio.get_running_loop().add_reader(self.master, self._on_pty)
            device["serial"] = self.path
        else:
            self.server = await asyncio.start_server(self._serve, self.host, self.port)
            self.port = self.server.sockets[0].getsockname()[1]
            device |= {"host": self.host, "port": self.port}
        self.fragment = {"scales": {"devices": [device]}}
        return self.fragment

    def settings(self, **kw: Any) -> Any:
        """``ScaleSettings`` pointing at this emulator (after ``start``), tight timeouts."""
        from kassa_scales.settings import ScaleSettings

        device = dict(self.fragment["scales"]["devices"][0])
        device |= {"stable_timeout": 1.0, "poll_interval": 0.02, "timeout": 0.3} | kw
        return ScaleSettings(**device)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for w in list(self.writers):
                w.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1.0)
            self.server = None
        if self.master is not None:
            asyncio.get_running_loop().remove_reader(self.master)
            for fd in (self.master, self.slave):
                with contextlib.suppress(OSError):
                    os.close(fd)  # type: ignore[arg-type]
            self.master = self.slave = None

    def drop_clients(self) -> None:
        """Hang up on every connected driver (a scale switched off and on)."""
        for w in list(self.writers):
            w.close()

    def _on_pty(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, 4096)
        except (BlockingIOError, OSError):
            return
        reply = self.emulator.feed(data)
        if reply:
            os.write(self.master, reply)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.add(writer)
        try:
            while data := await reader.read(4096):
                reply = self.emulator.feed(data)
                if reply:
                    writer.write(reply)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()
