"""Serial scanners over a real pty (the emulator): CR, CRLF and no terminator with the
inter-character timeout, slow UARTs, torn reads, line noise, two scanners at one till."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from kassa.model import Health, Scan, Symbology
from kassa_scanner.scanner import SerialScanner, WedgeScanner
from kassa_scanner.settings import ScannerSettings
from kassa_scanner.sim import ScannerSimulator, wedge_text

pytestmark = pytest.mark.anyio
KM = "0104607001234562" + "21" + "AbCdEfGhIjKlM" + "\x1d91EE10\x1d92" + "Qw" * 22


@pytest.fixture
async def sim() -> AsyncIterator[ScannerSimulator]:
    s = ScannerSimulator([("cr", "cr"), ("crlf", "crlf"), ("none", "none")])
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


async def scanner_for(sim: ScannerSimulator, name: str, **kw: Any) -> SerialScanner:
    pty = sim[name]
    s = SerialScanner(ScannerSettings(name=name, port=pty.port, terminator=pty.terminator,
                                      char_timeout=kw.pop("char_timeout", 0.05), **kw))
    await s.start()
    return s


async def take(s: Any, n: int, seconds: float = 2.0) -> list[Scan]:
    got: list[Scan] = []
    with anyio.fail_after(seconds):
        async for scan in s.scans():
            got.append(scan)
            if len(got) == n:
                break
    return got


@pytest.mark.parametrize("name", ["cr", "crlf", "none"])
async def test_codes_arrive_whole_with_gs(sim: ScannerSimulator, name: str) -> None:
    s = await scanner_for(sim, name)
    try:
        await sim[name].scan(KM, pause=0.15)
        await sim[name].scan("4607001234562", pause=0.15)
        got = await take(s, 2)
    finally:
        await s.stop()
    assert [g.code for g in got] == [KM, "4607001234562"]
    assert [g.symbology for g in got] == [Symbology.GS1_DATAMATRIX, Symbology.EAN13]


async def test_slow_uart_below_the_timeout_is_one_code(sim: ScannerSimulator) -> None:
    s = await scanner_for(sim, "none", char_timeout=0.1)
    try:
        await sim["none"].scan("4607001234562", char_delay=0.01, pause=0.2)
        got = await take(s, 1)
    finally:
        await s.stop()
    assert got[0].code == "4607001234562"


async def test_torn_read_and_noise_are_dropped(sim: ScannerSimulator) -> None:
    s = await scanner_for(sim, "cr")
    try:
        await sim["cr"].scan(KM, cut=20, pause=0.15)  # half a code, then silence
        await sim["cr"].noise(b"\x00\xff\r")
        await sim["cr"].scan("4607001234562")
        got = await take(s, 1)
    finally:
        await s.stop()
    assert [g.code for g in got] == ["4607001234562"]
    assert s.framer.torn == 1 and s.framer.noise == 1


async def test_two_scanners_at_one_till(sim: ScannerSimulator) -> None:
    a, b = await scanner_for(sim, "cr", station="till-1"), await scanner_for(sim, "crlf",
                                                                             station="till-1")
    try:
        await sim["cr"].scan("4607001234562")
        await sim["crlf"].scan(KM)
        got_a, got_b = await take(a, 1), await take(b, 1)
    finally:
        await a.stop()
        await b.stop()
    assert got_a[0].code == "4607001234562" and got_b[0].code == KM
    assert a.status().health is Health.OK and a.status().detail["scans"] == 1


async def test_a_missing_port_fails_start() -> None:
    s = SerialScanner(ScannerSettings(name="x", port="/dev/nonexistent-scanner"))
    with pytest.raises(OSError):
        await s.start()
    assert s.status().health is Health.DOWN


async def test_wedge_keystrokes_cut_at_enter() -> None:
    w = WedgeScanner(ScannerSettings(name="w", mode="wedge"))
    await w.start()
    text = wedge_text(KM, gs="~", layout="ru")
    for c in text[:30]:
        w.feed(c)  # keystrokes one by one, as a till's input hands them on
    w.feed(text[30:] + "4607001234562\r")
    got = await take(w, 2)
    await w.stop()
    assert got[0].code == text.strip() and got[1].code == "4607001234562"
