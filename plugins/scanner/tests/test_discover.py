"""Discovery: a HID POS scanner found in a sysfs tree is claimed passively, and the block it
gives drives the real HidPosScanner against the emulator's pty (standing in for hidraw)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import anyio
import kassa_scanner
import pytest
from kassa.discovery import Candidate, PortProbe, discover
from kassa.plugins import Plugins, new_manager
from kassa_scanner.discover import claim_device
from kassa_scanner.scanner import HidPosScanner
from kassa_scanner.settings import ScannerSettings
from kassa_scanner.sim import PtyHidScanner, ScannerSimulator

pytestmark = pytest.mark.anyio


def hid_sysfs(root: Path, vid: str, pages: bytes) -> Path:
    """A USB HID device with one hidraw node, as Linux lays it out."""
    sys_ = root / "sys"
    dev = sys_ / "devices" / "usb1" / "1-1"
    iface = dev / "1-1:1.0"
    hid = iface / f"0003:{vid.upper()}:0001.0001"
    hid.mkdir(parents=True)
    for k, v in {"idVendor": vid, "idProduct": "0001", "product": "Scanner",
                 "bDeviceClass": "00"}.items():
        (dev / k).write_text(v + "\n")
    (iface / "bInterfaceClass").write_text("03\n")
    (hid / "report_descriptor").write_bytes(pages)
    (sys_ / "class" / "hidraw" / "hidraw0").mkdir(parents=True)
    (sys_ / "class" / "hidraw" / "hidraw0" / "device").symlink_to(hid)
    (sys_ / "class" / "tty").mkdir(parents=True)
    (sys_ / "bus" / "usb" / "devices").mkdir(parents=True)
    (sys_ / "bus" / "usb" / "devices" / "1-1").symlink_to(dev)
    return sys_


async def test_a_hid_pos_scanner_is_claimed_and_its_block_reads_codes(tmp_path: Path) -> None:
    sim = ScannerSimulator([("hid", "hidpos")])
    await sim.start()
    try:
        (tmp_path / "dev").mkdir()
        (tmp_path / "dev" / "hidraw0").symlink_to(sim["hid"].port)  # the pty as hidraw0
        sysfs = hid_sysfs(tmp_path, "1234", bytes([0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01]))
        result = await discover(Plugins(new_manager(entry_points=False,
                                                    extra=[kassa_scanner])),
                                serial=False, usb=True, sysfs=sysfs, dev=tmp_path / "dev",
                                held={})
        (found,) = result.found
        assert found.claim is not None and found.claim.model == "Scanner (HID POS)"
        block = tomllib.loads(found.claim.config)["scanner"]["scanners"][0]
        scanner = HidPosScanner(ScannerSettings(**block))
        await scanner.start()
        try:
            emulator = sim["hid"]
            assert isinstance(emulator, PtyHidScanner)
            await emulator.scan("4600439931256")
            with anyio.fail_after(5):
                async for scan in scanner.scans():
                    assert scan.code == "4600439931256"
                    break
        finally:
            await scanner.stop()
    finally:
        await sim.stop()


async def test_a_serial_port_is_claimed_only_by_a_scanner_makers_usb_id() -> None:
    honeywell = Candidate(transport="serial", address="/dev/ttyACM0", path="/dev/ttyACM0",
                          vendor_id=0x0C2E, product_id=0x0B61, product="1950g")
    got = claim_device(honeywell, PortProbe(honeywell, active=False, locale="en"))
    assert got is not None and got.confidence == 50 and "assumed CR" in got.note
    assert ScannerSettings(**tomllib.loads(got.config)["scanner"]["scanners"][0]).port == \
        "/dev/ttyACM0"
    ftdi = Candidate(transport="serial", address="/dev/ttyUSB0", path="/dev/ttyUSB0",
                     vendor_id=0x0403, product_id=0x6001)
    assert claim_device(ftdi, PortProbe(ftdi, active=True)) is None  # a scanner says nothing


async def test_a_makers_keyboard_mode_scanner_is_a_wedge() -> None:
    c = Candidate(transport="usb", address="usb 1-3", vendor_id=0x05E0, interface_classes=(3,),
                  path="/dev/hidraw1", usage_pages=(0x01,))
    got = claim_device(c, PortProbe(c, active=False))
    assert got is not None and "keyboard" in got.model and "HID POS" in got.note
    assert ScannerSettings(**tomllib.loads(got.config)["scanner"]["scanners"][0]).mode == \
        "wedge"
