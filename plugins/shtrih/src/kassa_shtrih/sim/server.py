"""The Shtrih-M emulator: the register (``fr.Register``) on TCP (7778 by default) and/or a
pty (the serial path), with fault injection through Python methods and a small line-based
control port for the shell (``paper out``, ``state``... one JSON line back).

``ofd_url``: the FN transmits its documents there (``sim/ofd.py``: §9 tickets through the
core's ``kassa.testing.ofd.OfdLink`` to ``/_sim/documents``), ``ofd_delay`` seconds after
each is made, retrying from ``ofd_retry`` s on; without it nothing is ever confirmed and the
backlog (FF39) only grows, as with a register that has no OFD contract."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
from anyio.abc import SocketStream, TaskGroup
from kassa.testing.ofd import OfdLink

from kassa_shtrih.sim.fr import Register
from kassa_shtrih.sim.line import Line, PtyStream
from kassa_shtrih.sim.ofd import Outbox

DEFAULT_PORT = 7778  # re-star-ru/shtrih-m-driver app/main.go
MSK = timezone(timedelta(hours=3))


class ShtrihSimulator:
    name = "shtrih"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, pty: bool = False,
                 tcp: bool = True, control_port: int | None = None,
                 register_name: str = "shtrih-sim", utc_offset: int = 3,
                 ofd_url: str = "", ofd_delay: float = 0.0, ofd_retry: float = 1.0,
                 ofd_max_retry: float = 30.0) -> None:
        self.host, self.port, self.control_port = host, port, control_port
        self.use_pty, self.use_tcp = pty, tcp
        self.register_name = register_name
        self.tz = timezone(timedelta(hours=utc_offset))
        self.offset = timedelta(0)  # moved by ``advance`` (the 24-hour rule)
        self.fr = Register(clock=self.now)
        self.link = OfdLink(Outbox(self.fr), ofd_url, delay=ofd_delay, retry=ofd_retry,
                            max_retry=ofd_max_retry) if ofd_url else None
        self.lock = anyio.Lock()  # the register does one command at a time, any line
        self.delay = 0.0  # seconds every command takes before it acts
        self.disconnected = False
        self.drop_answers = 0
        self.drop_answer_to: int | None = None  # drop the answer to the next such command
        self.corrupt_answers = 0
        self.nak_frames = 0
        self.mute_seconds = 0.5
        self.wire: list[tuple[str, bytes]] = []  # what went over the line (for tests)
        self.pty: PtyStream | None = None
        self._tg: TaskGroup | None = None
        self._listeners: list[Any] = []

    # --- time and execution ------------------------------------------------------------
    def now(self) -> datetime:
        return (datetime.now(self.tz) + self.offset).replace(tzinfo=None)

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    async def execute(self, payload: bytes) -> bytes:
        async with self.lock:
            if self.delay:
                await anyio.sleep(self.delay)
            return self.fr.execute(payload)

    # --- control API (also what the control port speaks) --------------------------------
    def control(self, line: str) -> dict[str, Any]:
        words = line.split()
        if not words:
            return {"error": "empty command"}
        cmd, args = words[0], words[1:]
        arg = args[0] if args else ""
        if cmd == "paper":
            if arg == "out":
                self.fr.remove_paper()
            elif arg == "in":
                self.fr.load_paper()
            elif arg == "runs-out":
                self.fr.paper_runs_out_after_fd = True
            else:
                return {"error": "paper out|in|runs-out"}
        elif cmd == "fn":
            self.fr.no_fn = arg == "off"
        elif cmd == "link":
            self.disconnected = arg == "off"
        elif cmd == "drop-answer":
            if len(arg) == 4:  # a command code such as FF45
                self.drop_answer_to = int(arg, 16)
            else:
                self.drop_answers = int(arg or 1)
        elif cmd == "corrupt-answer":
            self.corrupt_answers = int(arg or 1)
        elif cmd == "ofd-backlog":
            self.fr.ofd_backlog = min(int(arg), len(self.fr.documents))
        elif cmd == "ofd-link":
            self.fr.ofd_failing = arg == "off"
        elif cmd == "marking":
            self.fr.marking_declined = arg == "decline"
        elif cmd == "correction-begin":
            if arg not in ("document", "fn"):
                return {"error": "correction-begin document|fn"}
            self.fr.correction_begin = arg
        elif cmd == "advance":
            self.advance(float(arg))
        elif cmd == "delay":
            self.delay = float(arg)
        elif cmd != "state":
            return {"error": f"unknown command {cmd!r}"}
        return self.state()

    def state(self) -> dict[str, Any]:
        fr = self.fr
        return {"mode": fr.mode, "submode": int(fr.submode), "shift": fr.shift,
                "shift_open": fr.shift_open, "fd": fr.fd, "documents": len(fr.documents),
                "receipts": len(fr.receipts()), "cash": fr.cash, "ofd_backlog": fr.ofd_backlog,
                "ofd": {"url": self.link.url if self.link else None,
                        "sent": self.link.sent if self.link else None,
                        "error": fr.ofd_error, "link": not fr.ofd_failing},
                "paper": fr.paper, "fn": not fr.no_fn, "link": not self.disconnected,
                "now": self.now().isoformat(timespec="seconds")}

    # --- serving -------------------------------------------------------------------------
    async def start(self) -> Mapping[str, Any]:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        entry: dict[str, Any] = {"name": self.register_name}
        try:
            if self.use_tcp:
                lst = await anyio.create_tcp_listener(local_host=self.host, local_port=self.port)
                self._listeners.append(lst)
                self.port = lst.extra(anyio.abc.SocketAttribute.local_port)
                self._tg.start_soon(lst.serve, self._serve_tcp)
                entry["tcp"] = f"{self.host}:{self.port}"
            if self.use_pty:
                self.pty = PtyStream()
                self._tg.start_soon(Line(self, self.pty, closable=False).serve)
                entry.setdefault("serial", self.pty.path)
                entry["baud"] = 115200
            if self.link is not None:
                self._tg.start_soon(self.link.run)
            if self.control_port is not None:
                ctl = await anyio.create_tcp_listener(local_host=self.host,
                                                      local_port=self.control_port)
                self._listeners.append(ctl)
                self.control_port = ctl.extra(anyio.abc.SocketAttribute.local_port)
                self._tg.start_soon(ctl.serve, self._serve_control)
        except BaseException:
            await self.stop()
            raise
        return {"shtrih": {"registers": [entry]}}

    async def _serve_tcp(self, stream: SocketStream) -> None:
        async with stream:
            await Line(self, stream, closable=True).serve()

    async def _serve_control(self, stream: SocketStream) -> None:
        async with stream:
            buf = b""
            try:
                while True:
                    buf += await stream.receive()
                    while b"\n" in buf:
                        raw, buf = buf.split(b"\n", 1)
                        try:
                            out = self.control(raw.decode().strip())
                        except ValueError as exc:
                            out = {"error": str(exc)}
                        await stream.send((json.dumps(out) + "\n").encode())
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return

    async def stop(self) -> None:
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._tg = None
        for lst in self._listeners:
            await lst.aclose()
        self._listeners.clear()
        if self.pty is not None:
            await self.pty.aclose()
            self.pty = None


def sim_factory(**kw: Any) -> Callable[[], ShtrihSimulator]:
    return lambda: ShtrihSimulator(**kw)
