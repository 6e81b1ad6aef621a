"""USB HID POS scanners read raw: the report layout against the makers' documented example
(fixtures/hidpos_reports.json), and the driver over a pty standing in for /dev/hidrawN:
continued codes with GS, the AIM identifier, reads that cut reports, half codes, foreign and
malformed reports, a missing device."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from kassa.i18n import t
from kassa.model import Health, Scan, Symbology
from kassa_scanner import hidpos
from kassa_scanner.scanner import HidPosScanner
from kassa_scanner.settings import ScannerSettings
from kassa_scanner.sim import PtyHidScanner, ScannerSimulator

pytestmark = pytest.mark.anyio
FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "hidpos_reports.json")
                     .read_text(encoding="utf-8"))
KM = "0104607001234562" + "21" + "AbCdEfGhIjKlM" + "\x1d91EE10\x1d92" + "Qw" * 22
TIMEOUT = 0.5  # the silence that tears an open code: generous on a loaded box


def test_the_documented_example_parses_and_encodes_byte_for_byte() -> None:
    raw = [bytes.fromhex(r) for r in FIXTURE["reports"]]
    first, second = (hidpos.parse(r) for r in raw)
    assert (first.aim, first.further, first.more, len(first.data)) == ("]Q0", 0x73, True, 56)
    assert (second.aim, second.further, second.more, second.data) == ("]Q0", 0x73, False,
                                                                      b" 100")
    data = FIXTURE["data"].encode("latin-1")
    assert hidpos.encode(data, aim="]Q0", further=0x73) == raw
    (scan,) = hidpos.Assembler().feed(b"".join(raw))
    assert scan.data == data and scan.symbology is Symbology.QR


@pytest.mark.parametrize(("change", "reason"), [
    ((0, 3), "report_id"), ((1, 57), "length"), ((2, 0x41), "aim"), ((63, 0x03), "flags")])
def test_what_is_not_a_report_is_refused_naming_why(change: tuple[int, int],
                                                    reason: str) -> None:
    raw = bytearray(bytes.fromhex(FIXTURE["reports"][1]))
    raw[change[0]] = change[1]
    with pytest.raises(hidpos.BadReport) as err:
        hidpos.parse(bytes(raw))
    assert err.value.reason == reason
    with pytest.raises(hidpos.BadReport, match="64 bytes, this one 63"):
        hidpos.parse(bytes(raw[:63]))


def test_assembler_resynchronises_after_a_silence() -> None:
    a = hidpos.Assembler()
    (one, two) = hidpos.encode(KM.encode(), aim="]d2")
    assert a.feed(one[:30]) == []  # a read cut a report
    a.silence()  # ... and the rest never came
    assert a.torn == 1 and a.last_problem == "torn"
    assert [s.data for s in a.feed(one[:10])] == []
    assert [s.data for s in a.feed(one[10:] + two)] == [KM.encode()]
    assert a.last_problem is None


@pytest.fixture
async def sim() -> AsyncIterator[ScannerSimulator]:
    s = ScannerSimulator([("hid-1", "hidpos"), ("hid-2", "hidpos")], station="till-1")
    fragment = await s.start()
    assert fragment["scanner"]["scanners"][0] == {
        "name": "hid-1", "mode": "hidpos", "port": s["hid-1"].port, "station": "till-1"}
    try:
        yield s
    finally:
        await s.stop()


def pty(sim: ScannerSimulator, name: str) -> PtyHidScanner:
    found = sim[name]
    assert isinstance(found, PtyHidScanner)
    return found


async def driver(sim: ScannerSimulator, name: str, **kw: Any) -> HidPosScanner:
    s = HidPosScanner(ScannerSettings(name=name, mode="hidpos", port=sim[name].port,
                                      char_timeout=TIMEOUT, **kw))
    await s.start()
    return s


async def take(s: Any, n: int, seconds: float = 5.0) -> list[Scan]:
    got: list[Scan] = []
    with anyio.fail_after(seconds):
        async for scan in s.scans():
            got.append(scan)
            if len(got) == n:
                break
    return got


async def wait_until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await anyio.sleep(0.02)
    raise AssertionError(f"condition not met in {seconds}s")


async def test_codes_arrive_whole_with_gs_and_their_symbology(sim: ScannerSimulator) -> None:
    s = await driver(sim, "hid-1")
    try:
        await pty(sim, "hid-1").scan(KM, aim="]d2", report_delay=0.01)  # two reports
        await pty(sim, "hid-1").scan("4607001234562", aim="]E0")
        await pty(sim, "hid-1").scan("4607001234562")  # AIM off: guessed from the code
        got = await take(s, 3)
    finally:
        await s.stop()
    assert [g.code for g in got] == [KM, "4607001234562", "4607001234562"]
    assert [g.symbology for g in got] == [Symbology.GS1_DATAMATRIX, Symbology.EAN13,
                                          Symbology.EAN13]
    assert s.status().health is Health.OK and s.status().detail["scans"] == 3


async def test_reads_that_cut_reports_anywhere(sim: ScannerSimulator) -> None:
    s = await driver(sim, "hid-1")
    reports = b"".join(hidpos.encode(KM.encode(), aim="]d2"))
    try:
        for i in range(0, len(reports), 7):  # a fifo or pty may hand on any slice
            await pty(sim, "hid-1").raw(reports[i:i + 7])
            await anyio.sleep(0.001)
        got = await take(s, 1)
    finally:
        await s.stop()
    assert got[0].code == KM


async def test_a_half_code_is_dropped_and_said_once(sim: ScannerSimulator,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    s = await driver(sim, "hid-1")
    try:
        await pty(sim, "hid-1").scan(KM, aim="]d2", cut=1)  # the continuation never comes
        await wait_until(lambda: s.assembler.torn == 1)
        st = s.status()
        assert st.health is Health.DEGRADED and st.detail["torn"] == 1
        assert st.message == t("scanner.hid_torn", name="hid-1")
        assert "прислал код не полностью" in st.message
        await pty(sim, "hid-1").scan("4607001234562", aim="]E0")
        got = await take(s, 1)
    finally:
        await s.stop()
    assert [g.code for g in got] == ["4607001234562"]  # never the half KM
    assert s.status().health is Health.OK  # a good code clears the warning
    assert sum("не полностью" in r.getMessage() or "only in part" in r.getMessage()
               for r in caplog.records) == 1


async def test_foreign_and_malformed_reports_are_skipped(sim: ScannerSimulator) -> None:
    s = await driver(sim, "hid-1")
    try:
        foreign = bytearray(hidpos.encode(b"4607001234562")[0])
        foreign[0] = 3  # another report of the same interface
        await pty(sim, "hid-1").raw(bytes(foreign))
        await wait_until(lambda: s.assembler.bad == 1)
        assert s.status().health is Health.DEGRADED
        assert "чужой номер отчёта" in (s.status().message or "")
        # a malformed report inside a continued code spoils that code
        one, two = hidpos.encode(KM.encode(), aim="]d2")
        broken = bytearray(two)
        broken[1] = 60
        await pty(sim, "hid-1").raw(one + bytes(broken))
        await pty(sim, "hid-1").scan("4650093320012", aim="]E0")
        got = await take(s, 1)
    finally:
        await s.stop()
    assert [g.code for g in got] == ["4650093320012"]
    assert s.assembler.bad == 2 and s.status().detail["bad_reports"] == 2


async def test_two_scanners_at_one_till_and_another_report_id(sim: ScannerSimulator) -> None:
    a = await driver(sim, "hid-1", station="till-1")
    pty(sim, "hid-2").report_id = 4
    b = await driver(sim, "hid-2", station="till-1", report_id=4)
    try:
        await pty(sim, "hid-1").scan("4607001234562", aim="]E0")
        await pty(sim, "hid-2").scan(KM, aim="]d2")
        got_a, got_b = await take(a, 1), await take(b, 1)
    finally:
        await a.stop()
        await b.stop()
    assert got_a[0].code == "4607001234562" and got_b[0].code == KM


async def test_a_missing_device_fails_start_with_its_sentence() -> None:
    s = HidPosScanner(ScannerSettings(name="x", mode="hidpos", port="/dev/hidraw-nonexistent"))
    with pytest.raises(OSError):
        await s.start()
    st = s.status()
    assert st.health is Health.DOWN and "/dev/hidraw-nonexistent" in (st.message or "")


def test_settings_need_a_device_for_hidpos() -> None:
    with pytest.raises(ValueError, match="a hidpos scanner needs port"):
        ScannerSettings(name="x", mode="hidpos")
    with pytest.raises(ValueError):
        ScannerSettings(name="x", mode="hidpos", port="/dev/hidraw0", report_id=0)


async def test_kassa_scanner_simulate_hidpos(tmp_path: Path) -> None:
    """The emulator as a person runs it: the kassa.toml block, then scans a driver reads."""
    from kassa.testing.simulator_cli import read_block, start_simulate

    proc = start_simulate("scanner", tmp_path, "--hidpos", "--aim", "]E0", "--code",
                          "4607001234562", "--every", "0.2", "--seconds", "60")
    try:
        block = read_block(proc, until="# It scans")
        assert 'mode = "hidpos"' in block and "terminator" not in block
        port = next(ln.split('"')[1] for ln in block.splitlines() if ln.startswith("port = "))
        s = HidPosScanner(ScannerSettings(name="cli", mode="hidpos", port=port,
                                          char_timeout=TIMEOUT))
        await s.start()
        try:
            got = await take(s, 1, seconds=30)
        finally:
            await s.stop()
        assert (got[0].code, got[0].symbology) == ("4607001234562", Symbology.EAN13)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_aim_without_hidpos_is_one_sentence(tmp_path: Path) -> None:
    from kassa.testing.simulator_cli import start_simulate

    proc = start_simulate("scanner", tmp_path, "--aim", "]E0", "--seconds", "1")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--aim is for a HID POS scanner: add --hidpos." in err


def test_the_hook_makes_a_hidpos_device_per_table() -> None:
    import kassa_scanner
    from kassa_scanner.scanner import SerialScanner
    from kassa_scanner.settings import ScannerSection

    section = ScannerSection(scanners=[
        ScannerSettings(name="a", mode="hidpos", port="/dev/hidraw0"),
        ScannerSettings(name="b", port="/dev/ttyACM0")])

    class Hub:
        clock = None

        def section(self, name: str) -> Any:
            return section if name == "scanner" else None

    made = kassa_scanner.register_devices(Hub())
    assert [type(d) for d in made] == [HidPosScanner, SerialScanner]
    assert made[0].status().detail == {"scans": 0, "mode": "hidpos", "torn": 0,
                                       "bad_reports": 0}


async def test_a_fifo_standing_in_for_hidraw(tmp_path: Path) -> None:
    """One whole report per write, as hidraw gives them; the writer gone is the device gone."""
    import os

    path = tmp_path / "hidraw0"
    os.mkfifo(path)
    s = HidPosScanner(ScannerSettings(name="fifo", mode="hidpos", port=str(path),
                                      char_timeout=TIMEOUT))
    await s.start()  # no writer yet: the open must not block
    writer = os.open(path, os.O_WRONLY)
    try:
        for report in hidpos.encode(KM.encode(), aim="]d2"):
            os.write(writer, report)
        got = await take(s, 1)
    finally:
        os.close(writer)
    assert got[0].code == KM and got[0].symbology is Symbology.GS1_DATAMATRIX
    await wait_until(lambda: s.status().health is Health.DOWN)
    assert "EOF" in (s.status().message or "")
    await s.stop()
