"""Scanner devices: a serial / USB-CDC scanner (we read its port), a USB HID POS one read raw
from its hidraw device, and a keyboard-wedge one (its keystrokes reach the till's input, which
hands them to ``feed``). All give ``Scan``s."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from kassa.i18n import t
from kassa.model import DeviceStatus, Health, Scan, Symbology

from kassa_scanner import gs1, hidpos
from kassa_scanner.framing import Framer
from kassa_scanner.settings import ScannerSettings

log = logging.getLogger(__name__)


def symbology(code: str) -> Symbology:
    """A guess from the code itself (serial and wedge scanners do not say)."""
    if code.isdigit() and len(code) in (8, 13) and gs1.gtin_ok(code.zfill(14)):
        return Symbology.EAN13 if len(code) == 13 else Symbology.EAN8
    if code.isdigit() and len(code) == 12 and gs1.gtin_ok(code.zfill(14)):
        return Symbology.UPCA
    if gs1.GS in code or (code.startswith("01") and len(code) > 30):
        return Symbology.GS1_DATAMATRIX
    return Symbology.UNKNOWN


class _Base:
    kind = "scanner"

    def __init__(self, settings: ScannerSettings, clock: Any = None) -> None:
        self.settings = settings
        self.name = settings.name
        self.clock = clock
        self.count = 0
        self.error: str | None = None
        self._task: asyncio.Task[None] | None = None  # the reader, where there is one
        self._send: MemoryObjectSendStream[Scan]
        self._recv: MemoryObjectReceiveStream[Scan]
        self._send, self._recv = anyio.create_memory_object_stream[Scan](256)

    def _now(self) -> Any:
        from datetime import UTC, datetime

        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def _emit(self, code: str, told: Symbology | None = None) -> None:
        self.count += 1
        scan = Scan(code=code, at=self._now(), symbology=told or symbology(code))
        try:
            self._send.send_nowait(scan)
        except anyio.WouldBlock:
            log.warning("scanner %s: nobody reads its scans, one dropped", self.name)

    async def _stop_reading(self) -> None:
        """Cancel the reader task (serial and HID POS scanners) and wait for it; never raises."""
        task = self._task
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # stop must not raise
                pass

    async def scans(self) -> AsyncIterator[Scan]:
        async for scan in self._recv.clone():
            yield scan

    def status(self) -> DeviceStatus:
        detail = {"scans": self.count, "mode": self.settings.mode}
        if self.error is not None:
            return DeviceStatus(health=Health.DOWN, message=self.error, detail=detail)
        return DeviceStatus(health=Health.OK, detail=detail)


class WedgeScanner(_Base):
    """A keyboard-wedge scanner types into the till's input; the till (console, web till)
    passes those characters to ``feed`` and they are cut at Enter like a serial line."""

    def __init__(self, settings: ScannerSettings, clock: Any = None) -> None:
        super().__init__(settings, clock)
        self.buffer = ""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._send.close()

    def feed(self, text: str) -> None:
        self.buffer += text
        while True:
            cut = min((i for i in (self.buffer.find("\r"), self.buffer.find("\n")) if i >= 0),
                      default=-1)
            if cut < 0:
                return
            code, self.buffer = self.buffer[:cut].strip(), self.buffer[cut + 1:]
            if len(code) >= self.settings.min_length:
                self._emit(code)


class SerialScanner(_Base):
    """A scanner on a serial / USB-CDC port: bytes with CR, CRLF or no terminator."""

    def __init__(self, settings: ScannerSettings, clock: Any = None) -> None:
        super().__init__(settings, clock)
        self.framer = Framer(settings.end, settings.min_length)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import serial_asyncio_fast

        try:
            self._reader, self._writer = await serial_asyncio_fast.open_serial_connection(
                url=self.settings.port, baudrate=self.settings.baudrate)
        except Exception as exc:
            self.error = t("scanner.port", name=self.name, port=self.settings.port,
                           reason=str(exc))
            raise
        self.error = None
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def stop(self) -> None:
        await self._stop_reading()
        if self._writer is not None:
            self._writer.close()
        self._send.close()

    async def _read(self) -> None:
        assert self._reader is not None
        timeout = self.settings.char_timeout
        while True:
            try:
                data = await asyncio.wait_for(self._reader.read(512), timeout)
            except TimeoutError:
                data = None
            except Exception as exc:  # the port went away (USB unplugged)
                self.error = t("scanner.port", name=self.name, port=self.settings.port,
                               reason=str(exc))
                return
            if data == b"":
                self.error = t("scanner.port", name=self.name, port=self.settings.port,
                               reason="EOF")
                return
            if data is None:
                code = self.framer.silence()
                found = [code] if code is not None else []
            else:
                found = self.framer.feed(data)
            for raw in found:
                self._emit(raw.decode(self.settings.encoding, "replace"))


class HidPosScanner(_Base):
    """A USB HID POS scanner read raw from ``/dev/hidrawN`` (``hidpos.py``: the reports, GS
    kept, the AIM identifier telling the symbology). ``char_timeout`` is the silence allowed
    between the reports of one code; a code still open then is torn and dropped."""

    def __init__(self, settings: ScannerSettings, clock: Any = None) -> None:
        super().__init__(settings, clock)
        self.assembler = hidpos.Assembler(report_id=settings.report_id)
        self._file: Any = None
        self._transport: asyncio.ReadTransport | None = None
        self._reader: asyncio.StreamReader | None = None
        self._task: asyncio.Task[None] | None = None
        self._told: str | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        try:
            # non-blocking (a fifo with no writer yet), never our controlling tty (a pty)
            fd = os.open(self.settings.port, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
            self._file = os.fdopen(fd, "rb", buffering=0)
            self._transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), self._file)
        except Exception as exc:  # missing, no permission (udev rule), not a char device
            if self._file is not None:
                self._file.close()
                self._file = None
            self.error = t("scanner.port", name=self.name, port=self.settings.port,
                           reason=str(exc))
            raise
        self._reader = reader
        self.error = None
        self._task = loop.create_task(self._read())

    async def stop(self) -> None:
        await self._stop_reading()
        if self._transport is not None:
            self._transport.close()  # closes the file too
        self._send.close()

    async def _read(self) -> None:
        assert self._reader is not None
        while True:
            try:
                data = await asyncio.wait_for(self._reader.read(4096),
                                              self.settings.char_timeout)
            except TimeoutError:
                self.assembler.silence()
                self._tell()
                continue
            except Exception as exc:  # the device went away (USB unplugged)
                self.error = t("scanner.port", name=self.name, port=self.settings.port,
                               reason=str(exc))
                return
            if data == b"":
                self.error = t("scanner.port", name=self.name, port=self.settings.port,
                               reason="EOF")
                return
            for found in self.assembler.feed(data):
                self._emit(found.data.decode(self.settings.encoding, "replace"),
                           found.symbology)
            self._tell()

    def _tell(self) -> None:
        """A torn code or a report that is not one: one warning per new problem."""
        problem = self.assembler.last_problem
        if problem is not None and problem != self._told:
            log.warning("%s", self._problem_text(problem))
        self._told = problem

    def _problem_text(self, problem: str) -> str:
        if problem == "torn":
            return t("scanner.hid_torn", name=self.name)
        reason = t(f"scanner.hid_reason.{problem.removeprefix('bad:')}")
        return t("scanner.hid_bad", name=self.name, reason=reason)

    def status(self) -> DeviceStatus:
        base = super().status()
        detail = {**base.detail, "torn": self.assembler.torn, "bad_reports": self.assembler.bad}
        problem = self.assembler.last_problem
        if base.health is Health.OK and problem is not None:
            return DeviceStatus(health=Health.DEGRADED, message=self._problem_text(problem),
                                detail=detail)
        return DeviceStatus(health=base.health, message=base.message, detail=detail)
