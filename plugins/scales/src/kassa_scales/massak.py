"""Massa-K "Протокол 100": ``F8 55 CE | LEN u16 LE | body = CMD + data | CRC16 u16 LE``.

Source: fiscal.md §5.3 (``VladStandard/WeightService:WeightCore/MassaK/...CmdQueries.cs``,
``CmdEntity.cs``). The CRC is given in "Приложение 7.1" of the Massa-K document, which was
not read: we compute CRC-16/XMODEM (poly 0x1021, init 0) over the body, and the emulator
checks exactly that (unverified against a real scale; see docs/plugins/scales.md)."""

from __future__ import annotations

import struct
from decimal import Decimal

from kassa_scales.reading import ProtocolError, Reading, ScaleRefused

HEADER = b"\xf8\x55\xce"
GET_MASSA, ACK_MASSA = 0x23, 0x24
SET_TARE, ACK_SET_TARE, NACK_TARE = 0xA3, 0x12, 0x15
SET_ZERO, ACK_SET = 0x72, 0x27
GET_NAME, ACK_NAME = 0x20, 0x21
ERROR = 0x28
# division code -> grams per unit of the weight field (the doc's "цена деления")
DIVISIONS = {0: Decimal("0.1"), 1: Decimal(1), 2: Decimal(10), 3: Decimal(100), 4: Decimal(1000)}
# CMD_ERROR codes: the document's list was not read; these are ours (docs say so)
ERR_UNKNOWN_COMMAND, ERR_BAD_LENGTH, ERR_OVERLOAD = 0x07, 0x08, 0x17
MAX_BODY = 1024


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def frame(body: bytes) -> bytes:
    return HEADER + struct.pack("<H", len(body)) + body + struct.pack("<H", crc16(body))


def unframe(data: bytes) -> bytes:
    """The body of one whole frame (raises on a bad header, length or CRC)."""
    if data[:3] != HEADER:
        raise ProtocolError(f"no Massa-K header: {data[:8].hex(' ')}")
    if len(data) < 7:
        raise ProtocolError("a short frame")
    (n,) = struct.unpack_from("<H", data, 3)
    if n == 0 or n > MAX_BODY or len(data) != 7 + n:
        raise ProtocolError(f"length {n} does not match a {len(data)}-byte frame")
    body = data[5:5 + n]
    (crc,) = struct.unpack_from("<H", data, 5 + n)
    if crc != crc16(body):
        raise ProtocolError(f"CRC {crc:04x} != {crc16(body):04x}")
    return body


def get_massa() -> bytes:
    return frame(bytes([GET_MASSA]))


def set_tare(divisions: int) -> bytes:
    return frame(bytes([SET_TARE]) + struct.pack("<i", divisions))


def decode(body: bytes) -> Reading:
    """``ACK_MASSA``: weight i32, division u8, stable u8, net u8, zero u8 [, tare i32]
    (the field order is the one fiscal.md gives, marked unverified there)."""
    if body[:1] == bytes([ERROR]):
        code = body[1] if len(body) > 1 else 0
        if code == ERR_OVERLOAD:
            return Reading(grams=Decimal(0), stable=False, overload=True)
        raise ScaleRefused(f"0x{code:02x}", "CMD_ERROR")
    if body[:1] != bytes([ACK_MASSA]) or len(body) not in (9, 13):
        raise ProtocolError(f"not an ACK_MASSA body: {body[:16].hex(' ')}")
    weight, division, stable, _net, _zero = struct.unpack_from("<iBBBB", body, 1)
    if division not in DIVISIONS:
        raise ProtocolError(f"unknown division code {division}")
    step = DIVISIONS[division]
    tare = struct.unpack_from("<i", body, 9)[0] * step if len(body) == 13 else Decimal(0)
    grams = weight * step
    return Reading(grams=grams, stable=bool(stable), underload=grams < 0, tare=tare)


def ack_massa(grams: Decimal, *, division: int = 1, stable: bool = True, net: bool = False,
              tare: Decimal | None = None) -> bytes:
    """The scale's side: the body of ACK_MASSA (with the tare field when ``tare`` is given)."""
    step = DIVISIONS[division]
    zero = grams == 0
    body = bytes([ACK_MASSA]) + struct.pack("<iBBBB", int(grams / step), division,
                                            int(stable), int(net), int(zero))
    if tare is not None:
        body += struct.pack("<i", int(tare / step))
    return body
