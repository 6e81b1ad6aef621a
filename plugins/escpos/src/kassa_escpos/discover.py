"""Discovery: which candidates are ESC/POS printers. Active: the real-time status request
``DLE EOT 1, 2, 4`` (never printed, answered even while a ticket is held), accepted only as
exactly three bytes whose fixed bits are right (``PrinterState.read``), so a port answering
garbage is nobody's printer. Passive: a USB printer-class (7) device bound to usblp is
claimed with its ``/dev/usb/lpN`` (never written to: a print job to it could come out); one
without that node is named, not configured."""

from __future__ import annotations

import re
from typing import Any

from kassa.discovery import Candidate, Claim

from kassa_escpos.protocol import STATUS_QUERY, PrinterState

USB_PRINTER_CLASS = 7
# only python-escpos's default rate: bytes sent at a wrong rate arrive as random characters,
# which a printer would print (a safe probe must never put anything on paper)
SERIAL_BAUD = 9600
NOTES = {
    "ru": {"usb": "это USB-принтер (класс 7) без устройства /dev/usb/lp*: загрузите драйвер "
                  "usblp (modprobe usblp) или включите у принтера режим виртуального "
                  "COM-порта.",
           "state": {"near_end": "бумага заканчивается", "paper_out": "нет бумаги",
                     "cover_open": "открыта крышка", "offline": "не в сети"}},
    "en": {"usb": "a USB printer-class (7) device without a /dev/usb/lp* node: load the "
                  "usblp driver (modprobe usblp) or switch the printer to its virtual COM "
                  "port mode.",
           "state": {"near_end": "paper near end", "paper_out": "paper out",
                     "cover_open": "cover open", "offline": "offline"}},
}


def _name(c: Candidate) -> str:
    # the port too when it is not 9100: two printers behind one print server differ by it
    where = c.host + (f"-{c.port}" if c.port != 9100 else "") if c.host else \
        c.path.rsplit("/", 1)[-1]
    return "printer-" + re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")


def _config(c: Candidate, baudrate: int) -> str:
    where = (f'host = "{c.host}"\nport = {c.port}' if c.host else
             f'usb = "{c.path}"' if c.transport == "usb" else
             f'serial = "{c.path}"' + (f"\nbaudrate = {baudrate}" if baudrate != 9600 else ""))
    return f'[[escpos.printers]]\nname = "{_name(c)}"\n{where}\nsite = ""\n'


def _state(state: PrinterState, locale: str) -> str:
    words = NOTES.get(locale, NOTES["ru"])["state"]
    assert isinstance(words, dict)
    bad = [words[k] for k, on in (("paper_out", state.paper_out), ("cover_open",
           state.cover_open), ("near_end", state.paper_near_end and not state.paper_out),
           ("offline", not state.online)) if on]
    return ", ".join(bad)


async def claim_device(candidate: Candidate, probe: Any) -> Claim | None:
    locale = probe.locale if probe.locale in NOTES else "ru"
    if candidate.transport == "usb":
        if USB_PRINTER_CLASS in candidate.interface_classes:
            model = candidate.describe() or "USB printer"
            if "/usb/lp" in candidate.path:
                return Claim(kind="printer", model=model, confidence=60,
                             config=_config(candidate, SERIAL_BAUD))
            return Claim(kind="printer", model=model, confidence=60,
                         note=str(NOTES[locale]["usb"]))
        return None
    if not probe.active or candidate.transport not in ("tcp", "serial"):
        return None
    # one more byte than a printer sends: a chatty port answering garbage shows itself
    got = await probe.exchange(STATUS_QUERY, size=4, baudrate=SERIAL_BAUD)
    if len(got) != 3:
        return None
    try:
        state = PrinterState.read(got[0], got[1], got[2])
    except ValueError:
        return None
    status = _state(state, locale)
    model = "ESC/POS" + (f" ({status})" if status else "")
    return Claim(kind="printer", model=model, config=_config(candidate, SERIAL_BAUD),
                 confidence=80)
