"""The ESC/POS printer emulator: a TCP 9100 sink per printer that parses what arrives into a
paper model (``kassa_escpos.paper``), answers ``DLE EOT n`` from its scripted state, holds
data while it is not ready (paper out, cover open: a real printer prints nothing then and
goes on once the state clears), and drops the link mid-ticket on request.

Rules it enforces (fiscal.md §4 and §12): commands by the ESC/POS table, unknown commands
flagged with their offsets (``strict=True``: the printer hangs up, as a jammed parser would
look to a client), code pages by ``ESC t``, one ticket per cut, a link that drops leaves the
uncut ticket torn, and ``duplicates()`` lists keys printed twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
from anyio.abc import SocketStream

from kassa_escpos.paper import Paper, Parser, Ticket
from kassa_escpos.protocol import DLE, EOT, PrinterState


class SimPrinter:
    """One emulated printer: its paper, its state, its link faults."""

    def __init__(self, name: str, *, site: str = "", strict: bool = False,
                 on_ticket: Callable[[str, Ticket], None] | None = None) -> None:
        self.name, self.site, self.strict = name, site, strict
        self.paper = Paper()
        self.state = PrinterState()
        self.after_tickets: dict[int, PrinterState] = {}  # state change once n tickets cut
        self.drop_after: int | None = None  # hang up after this many more bytes
        self.silent = False  # answer no status (a printer that hangs)
        self.received = 0
        self.connections = 0
        self.held = b""
        self.rt_tail = b""
        self.port = 0
        self.on_ticket = on_ticket
        self.streams: set[SocketStream] = set()

    # --- script --------------------------------------------------------------------------
    def set_state(self, state: PrinterState) -> None:
        """Change what the printer reports; held data prints once it is ready again."""
        self.state = state
        if state.ready and self.held:
            held, self.held = self.held, b""
            self.parser.feed(held)
            if not self.state.ready:  # halted again (a scripted change at a cut)
                self.held, self.parser.buf = self.parser.buf + self.held, b""

    def tickets(self) -> list[Ticket]:
        return self.paper.tickets

    def effects(self) -> int:
        """Tickets that carry a key (a torn half with its key counts: it is on paper)."""
        return sum(self.paper.keys().values())

    # --- serving -------------------------------------------------------------------------
    @property
    def parser(self) -> Parser:
        if not hasattr(self, "_parser"):
            self._parser = Parser(status=self._status, on_ticket=self._cut, paper=self.paper,
                                  paused=lambda: not self.state.ready)
        return self._parser

    def _status(self, n: int) -> bytes | None:
        if self.silent:
            return b""
        try:
            return self.state.answer(n)
        except ValueError:
            return None

    def _cut(self, ticket: Ticket) -> None:
        nxt = self.after_tickets.pop(len(self.paper.tickets), None)
        if nxt is not None:
            self.state = nxt
        if self.on_ticket is not None:
            self.on_ticket(self.name, ticket)

    def _realtime_only(self, data: bytes) -> bytes:
        """While not ready: answer the status requests in ``data``, hold the rest."""
        data, self.rt_tail = self.rt_tail + data, b""
        answers = b""
        i = 0
        rest = b""
        while i < len(data):
            if data[i] == DLE and i + 2 < len(data) and data[i + 1] == EOT:
                answers += self._status(data[i + 2]) or b""
                i += 3
            elif data[i] == DLE and data[i + 1:i + 2] in (b"", bytes([EOT])) \
                    and i + 2 >= len(data):
                self.rt_tail = data[i:]  # a status request split across two reads
                break
            else:
                rest += data[i:i + 1]
                i += 1
        self.held += rest
        return answers

    def receive(self, data: bytes) -> tuple[bytes, bool]:
        """Take bytes from the link: what to answer, and whether to hang up now."""
        flags = len(self.paper.flags)
        hang_up = False
        if self.drop_after is not None:
            data, hang_up = data[:self.drop_after], len(data) >= self.drop_after
            self.drop_after = None if hang_up else self.drop_after - len(data)
        self.received += len(data)
        if self.state.ready and not self.held:
            answer = self.parser.feed(data)
            if not self.state.ready:  # it halted inside this chunk
                rest, self.parser.buf = self.parser.buf, b""
                answer += self._realtime_only(rest)
        else:
            answer = self._realtime_only(data)
        return answer, hang_up or (self.strict and len(self.paper.flags) > flags)

    def disconnected(self) -> None:
        # a new connection is a fresh stream: whatever was half parsed is lost
        self.parser.flush()
        self.paper.tear()

    async def handle(self, stream: SocketStream) -> None:
        self.connections += 1
        self.streams.add(stream)
        try:
            async with stream:
                while True:
                    try:
                        data = await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                        return
                    answer, hang_up = self.receive(data)
                    if hang_up:
                        return
                    if answer:
                        await stream.send(answer)
        finally:
            self.streams.discard(stream)
            self.disconnected()

    async def serve_fd(self, fd: int) -> None:
        """Serve a serial line: the master side of a pty (the driver opens the slave), until
        cancelled. Hanging up is not possible on a pty; the bytes after ``drop_after`` are
        swallowed instead (the printer lost power)."""
        self.connections += 1
        dead = False
        try:
            while True:
                await anyio.wait_readable(fd)
                try:
                    data = os.read(fd, 4096)
                except OSError:  # the slave side closed
                    await anyio.sleep(0.01)
                    continue
                if dead:
                    continue
                answer, dead = self.receive(data)
                if dead:
                    self.disconnected()
                elif answer:
                    os.write(fd, answer)
        finally:
            self.disconnected()

    async def hang_up(self) -> None:
        """Close every open link now (the printer lost power)."""
        for s in list(self.streams):
            await s.aclose()


class EscposSimulator:
    """``kassa.hookspecs.app.Simulator``: printers on consecutive ports from ``port`` (0: any
    free ports); the fragment is the ``[[escpos.printers]]`` block pointing at them."""

    name = "escpos"

    def __init__(self, printers: Sequence[tuple[str, str]] = (("kitchen", ""),), *,
                 host: str = "127.0.0.1", port: int = 0, strict: bool = False,
                 on_ticket: Callable[[str, Ticket], None] | None = None) -> None:
        self.host, self.port = host, port
        self.printers = {name: SimPrinter(name, site=site, strict=strict, on_ticket=on_ticket)
                         for name, site in printers}
        self.task: asyncio.Task[None] | None = None
        self.listeners: list[Any] = []

    def __getitem__(self, name: str) -> SimPrinter:
        return self.printers[name]

    async def start(self) -> Mapping[str, Any]:
        try:
            for i, p in enumerate(self.printers.values()):
                listener = await anyio.create_tcp_listener(
                    local_host=self.host, local_port=self.port + i if self.port else 0,
                    reuse_port=False)
                self.listeners.append(listener)
                p.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        except OSError:
            for listener in self.listeners:
                await listener.aclose()
            self.listeners = []
            raise
        self.task = asyncio.get_running_loop().create_task(self._serve())
        await asyncio.sleep(0)
        # each site's printer takes that site's service prints, as a chat of channel escpos
        return {"escpos": {"printers": [
            {"name": p.name, "host": self.host, "port": p.port, **({"site": p.site}
                                                                   if p.site else {})}
            for p in self.printers.values()]},
            "chats": [{"channel": "escpos", "chat_id": p.name, "site": p.site,
                       "name": f"Принтер {p.name}", "alerts": ["service_print"],
                       "auto_reports": []}
                      for p in self.printers.values() if p.site]}

    async def _serve(self) -> None:
        async with anyio.create_task_group() as tg:
            for listener, p in zip(self.listeners, self.printers.values(), strict=True):
                tg.start_soon(listener.serve, p.handle)

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for listener in self.listeners:
            with contextlib.suppress(Exception):
                await listener.aclose()
        self.listeners = []

    def summary(self) -> dict[str, Any]:
        # received: tickets the hub sent (keyed), what the demo compares with its sent count
        return {p.name: {"tickets": len(p.paper.tickets), "pulses": len(p.paper.pulses),
                         "received": sum(p.paper.keys().values()),
                         "flags": len(p.paper.flags), "duplicates": p.paper.duplicates()}
                for p in self.printers.values()}
