"""Discovery: which candidates are scales, by the read-only request of each protocol, one
at a time, each answer parsed by the same decoder the driver uses (a port answering garbage
parses as nothing):

- Massa-K Протокол 100: ``CMD_GET_NAME`` (the answer names the model); a CRC-checked
  ``CMD_ERROR`` also proves one;
- CAS type 1: ``ENQ`` -> ``ACK``, then ``DC1`` -> a 15-byte frame with a good BCC (an ACK
  alone is not enough: a Shtrih-M fiscal register answers ENQ too);
- CAS PD-II: ``W`` -> an 18-byte weight frame;
- Mettler Toledo MT-SICS: ``I4`` (serial number) -> ``I4 A "..."``;
- Shtrih-Print label scales, TCP only: ``GET_WEIGHT`` with the factory password 0030; a
  "wrong password" answer proves one too (one wrong try counts towards the scale's lock).

Serial ports at 9600 8N1 (the settings' default). Shtrih POS2 is not probed (its commands
need the operator password). TCP port 9100 is never probed: whatever reaches a raw print
port is printed."""

from __future__ import annotations

import re
from typing import Any

from kassa.discovery import Candidate, Claim

from kassa_scales import cas, massak, mtsics
from kassa_scales import shtrih_print as sp
from kassa_scales.reading import ProtocolError

PRINT_PORT = 9100
BAUD = 9600
NOTES = {"ru": {"password": "пароль весов не заводской (0030): укажите password."},
         "en": {"password": "the scale's password is not the factory 0030: set password."}}


def _block(c: Candidate, protocol: str, extra: str = "") -> str:
    where = f"{c.host}-{c.port}" if c.host else c.path.rsplit("/", 1)[-1]
    tail = re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")
    where = f'host = "{c.host}"\nport = {c.port}' if c.host else f'serial = "{c.path}"'
    return (f'[[scales.devices]]\nname = "scale-{tail}"\nprotocol = "{protocol}"\n'
            f"{extra}{where}\nsite = \"\"\n")


async def _massak(probe: Any) -> str | None:
    got = await probe.exchange(massak.frame(bytes([massak.GET_NAME])), baudrate=BAUD)
    start = got.find(massak.HEADER)
    if start < 0:
        return None
    try:
        body = massak.unframe(got[start:])
    except (ProtocolError, IndexError, ValueError):
        return None
    if body[0] == massak.ACK_NAME:
        name = body[1:].decode("cp1251", "replace").strip("\x00 ")
        return f"Massa-K {name}".strip()
    return "Massa-K" if body[0] == massak.ERROR else None


async def _cas_type1(probe: Any) -> bool:
    if await probe.exchange(bytes([cas.ENQ]), size=1, baudrate=BAUD) != bytes([cas.ACK]):
        return False
    frame = await probe.exchange(bytes([cas.DC1]), size=cas.TYPE1_LEN, baudrate=BAUD)
    try:
        cas.decode_type1(frame)
    except ProtocolError:
        return False
    return True


async def _cas_pdii(probe: Any) -> bool:
    frame = await probe.exchange(cas.POLL, size=cas.FRAME_LEN, baudrate=BAUD)
    try:
        cas.decode(frame)
    except ProtocolError:
        return False
    return True


async def _mtsics(probe: Any) -> str | None:
    # a CR LF first ends whatever the other probes left in the scale's line buffer (it
    # answers that line ES, then I4)
    got = await probe.exchange(mtsics.EOL + mtsics.encode("I4"), until=b'"' + mtsics.EOL,
                               baudrate=BAUD)
    m = re.search(rb'(?:^|\n)I4 A "([ -~]*)"\r\n', got)
    return m.group(1).decode("ascii") if m else None


async def _shtrih_print(probe: Any) -> int | None:
    request = sp.command(sp.GET_WEIGHT, sp.password("0030"))
    got = await probe.exchange(request, size=2)
    if len(got) < 2 or got[0] != sp.NORMAL or got[1] < 2:
        return None
    need = got[1] + 2
    while len(got) < need:
        more = await probe.exchange(b"", size=need - len(got))  # b"": read on, send nothing
        if not more:
            return None
        got += more
    try:
        cmd, error, _ = sp.parse(got[:need])
    except ProtocolError:
        return None
    return error if cmd == sp.GET_WEIGHT and error in (0, *sp.ERRORS) else None


async def claim_device(candidate: Candidate, probe: Any) -> Claim | None:
    if not probe.active or candidate.transport not in ("tcp", "serial"):
        return None  # no USB id says "scale": they sit behind generic serial adapters
    if candidate.port == PRINT_PORT:
        return None
    locale = probe.locale if probe.locale in NOTES else "ru"
    if (name := await _massak(probe)) is not None:
        return Claim(kind="scale", model=f"{name} (Протокол 100)", confidence=85,
                     config=_block(candidate, "massak"))
    if await _cas_type1(probe):
        return Claim(kind="scale", model="CAS (type 1)", confidence=85,
                     config=_block(candidate, "cas", 'variant = "type1"\n'))
    if await _cas_pdii(probe):
        return Claim(kind="scale", model="CAS (PD-II)", confidence=85,
                     config=_block(candidate, "cas"))
    if (serial := await _mtsics(probe)) is not None:
        return Claim(kind="scale", model=f"Mettler Toledo MT-SICS (s/n {serial})",
                     confidence=85, config=_block(candidate, "mtsics"),
                     detail={"serial_number": serial})
    if candidate.transport == "tcp":
        error = await _shtrih_print(probe)
        if error is not None:
            return Claim(kind="scale", model="Shtrih-Print", confidence=85,
                         config=_block(candidate, "shtrih_print"),
                         note=NOTES[locale]["password"] if error in (122, 170) else "")
    return None

