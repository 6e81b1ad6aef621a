"""Discovery: a barcode scanner answers nothing (it only sends what it reads), so it is
claimed passively or not at all, never by writing to a port:

- a USB device whose HID report descriptor has usage page 0x8C (HID Point of Sale Usage
  Tables 1.02, "Bar Code Scanner") and a ``/dev/hidrawN`` node: ``mode = "hidpos"``;
- a serial / USB-CDC port whose USB vendor is a scanner maker: ``mode = "serial"`` (the
  terminator is assumed CR: scan a code to check);
- a USB HID device of such a vendor without the POS page: a keyboard wedge.

Vendor ids are the usb.ids list's (linux-usb.org) entries for these makers; not checked
against devices here. A serial scanner behind a generic adapter (FTDI, CH340) cannot be
told from any other serial device: it is not claimed."""

from __future__ import annotations

import re
from typing import Any

from kassa.discovery import Candidate, Claim

POS_USAGE_PAGE = 0x8C  # HID POS Usage Tables: bar code scanner
HID_CLASS = 3
VENDORS = {0x0C2E: "Honeywell (Metrologic)", 0x05E0: "Zebra (Symbol)",
           0x05F9: "Datalogic", 0x1EAB: "Newland"}
NOTES = {
    "ru": {"serial": "сканер сам ничего не отвечает: окончание кода принято CR — "
                     "отсканируйте код, чтобы проверить.",
           "wedge": "сканер в режиме клавиатуры: для кодов маркировки (GS) включите у него "
                    "HID POS или USB-COM."},
    "en": {"serial": "a scanner answers nothing: the code terminator is assumed CR; scan a "
                     "code to check.",
           "wedge": "a keyboard-mode scanner: for marking codes (GS) switch it to HID POS "
                    "or USB-COM."},
}


def _block(c: Candidate, mode: str) -> str:
    tail = re.sub(r"[^a-z0-9]+", "-", (c.path.rsplit("/", 1)[-1] or c.address).lower())
    port = f'port = "{c.path}"\n' if mode != "wedge" else ""
    return (f'[[scanner.scanners]]\nname = "scanner-{tail.strip("-")}"\nmode = "{mode}"\n'
            f'{port}site = ""\nstation = ""\n')


def claim_device(candidate: Candidate, probe: Any) -> Claim | None:
    locale = probe.locale if probe.locale in NOTES else "ru"
    maker = VENDORS.get(candidate.vendor_id or -1, "")
    model = " ".join(x for x in (maker or candidate.manufacturer, candidate.product) if x)
    if candidate.transport == "usb" and POS_USAGE_PAGE in candidate.usage_pages \
            and candidate.path:
        return Claim(kind="scanner", model=f"{model or 'USB'} (HID POS)", confidence=90,
                     config=_block(candidate, "hidpos"))
    if not maker:
        return None
    if candidate.transport == "serial":
        return Claim(kind="scanner", model=f"{model} (USB-COM)", confidence=50,
                     config=_block(candidate, "serial"), note=NOTES[locale]["serial"])
    if candidate.transport == "usb" and HID_CLASS in candidate.interface_classes:
        return Claim(kind="scanner", model=f"{model} (keyboard)", confidence=50,
                     config=_block(candidate, "wedge"), note=NOTES[locale]["wedge"])
    return None
