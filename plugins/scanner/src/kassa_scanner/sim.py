"""Scanner emulator (fiscal.md §12 "Scanner emulator"): a pty that "scans" scripted codes
the way serial scanners send them (CR / CRLF / no terminator, inter-character timing, torn
reads, line noise), a pty standing in for a USB HID POS scanner's ``/dev/hidrawN`` (its
64-byte reports, ``hidpos.py``: continued codes, a report cut short, foreign reports), and
the keystrokes a keyboard-wedge scanner types (GS lost or replaced,
a Russian layout, Caps Lock)."""

from __future__ import annotations

import os
import tty
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from attrs import frozen

from kassa_scanner import hidpos
from kassa_scanner.gs1 import GS, LAYOUT
from kassa_scanner.settings import TERMINATORS

_TO_RU = {en: ru for ru, en in LAYOUT.items() if len(en) == 1 and en.isalpha()}


@frozen
class Step:
    """One scripted read: ``code`` sent with ``terminator`` (a settings name, or None for
    the scanner's own), ``char_delay`` seconds between bytes, ``cut`` bytes kept (a torn
    read: the rest never comes), ``pause`` seconds of silence after it."""

    code: bytes
    terminator: str | None = None
    char_delay: float = 0.0
    cut: int | None = None
    pause: float = 0.0


class PtyScanner:
    """One emulated serial scanner on a pseudo-terminal; the driver opens ``port``."""

    def __init__(self, name: str, *, terminator: str = "cr", site: str = "",
                 station: str = "") -> None:
        self.name, self.terminator, self.site, self.station = name, terminator, site, station
        self.master = self.slave = -1
        self.port = ""
        self.sent: list[bytes] = []  # whole codes sent (torn and noise not counted)

    def open(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no CR -> NL translation, no echo: bytes as a UART gives them
        self.port = os.ttyname(self.slave)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = -1

    async def _write(self, data: bytes, char_delay: float) -> None:
        if char_delay <= 0:
            os.write(self.master, data)
            return
        for b in data:
            os.write(self.master, bytes([b]))
            await anyio.sleep(char_delay)

    async def play(self, step: Step) -> None:
        end = TERMINATORS[step.terminator or self.terminator]
        data = step.code + end
        if step.cut is not None:
            data = step.code[:step.cut]
        else:
            self.sent.append(step.code)
        await self._write(data, step.char_delay)
        if step.pause:
            await anyio.sleep(step.pause)

    async def scan(self, code: str | bytes, **kw: Any) -> None:
        await self.play(Step(code.encode("latin-1") if isinstance(code, str) else code, **kw))

    async def noise(self, data: bytes = b"\x00\xff\x00") -> None:
        await self._write(data, 0.0)


class PtyHidScanner(PtyScanner):
    """One emulated USB HID POS scanner: its reports written to a pty that the driver opens
    as it would ``/dev/hidrawN`` (hidraw gives whole reports; the pty need not, which the
    driver's framing by size covers)."""

    def __init__(self, name: str, *, site: str = "", station: str = "",
                 report_id: int = hidpos.REPORT_ID) -> None:
        super().__init__(name, terminator="none", site=site, station=station)
        self.report_id = report_id

    async def scan(self, code: str | bytes, *, aim: str = "", further: int = 0,
                   report_delay: float = 0.0, cut: int | None = None, pause: float = 0.0,
                   **_: Any) -> None:
        """Send ``code`` as its reports, ``report_delay`` seconds apart (USB polls every few
        ms); ``cut`` keeps only that many reports (the rest never comes: a half code)."""
        data = code.encode("latin-1") if isinstance(code, str) else code
        reports = hidpos.encode(data, aim=aim, further=further, report_id=self.report_id)
        if cut is None:
            self.sent.append(data)
        for n, report in enumerate(reports[:cut]):
            if n and report_delay:
                await anyio.sleep(report_delay)
            os.write(self.master, report)
        if pause:
            await anyio.sleep(pause)

    async def raw(self, data: bytes) -> None:
        """Bytes as they are: a foreign report, a report cut short, garbage."""
        os.write(self.master, data)


class ScannerSimulator:
    name = "scanner"

    def __init__(self, scanners: Sequence[tuple[str, str]] = (("scanner-1", "cr"),), *,
                 site: str = "", station: str = "") -> None:
        """``scanners``: (name, terminator) pairs; the terminator ``"hidpos"`` makes a USB
        HID POS scanner instead of a serial one."""
        self.scanners: dict[str, PtyScanner] = {
            n: PtyHidScanner(n, site=site, station=station) if term == "hidpos" else
            PtyScanner(n, terminator=term, site=site, station=station) for n, term in scanners}

    def __getitem__(self, name: str) -> PtyScanner:
        return self.scanners[name]

    async def start(self) -> Mapping[str, Any]:
        for s in self.scanners.values():
            s.open()
        return {"scanner": {"scanners": [_entry(s) for s in self.scanners.values()]}}

    async def stop(self) -> None:
        for s in self.scanners.values():
            s.close()


def _entry(s: PtyScanner) -> dict[str, Any]:
    where = {**({"site": s.site} if s.site else {}), **({"station": s.station} if s.station
                                                        else {})}
    if isinstance(s, PtyHidScanner):
        return {"name": s.name, "mode": "hidpos", "port": s.port, **where}
    return {"name": s.name, "mode": "serial", "port": s.port, "terminator": s.terminator,
            **where}


def wedge_text(code: str, *, gs: str | None = None, layout: str = "en",
               caps_lock: bool = False, enter: str = "\r") -> str:
    """What a keyboard-wedge scanner types for ``code``: GS dropped (``gs=None``) or typed
    as ``gs``, letters through a Russian layout (``layout="ru"``), case inverted by Caps
    Lock, then Enter."""
    text = code.replace(GS, gs if gs is not None else "")
    if caps_lock:
        text = text.swapcase()
    if layout == "ru":
        text = "".join(_TO_RU.get(c, c) for c in text)
    return text + enter
