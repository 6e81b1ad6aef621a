"""Encode/decode against byte fixtures from fiscal.md §5 and the cited sources."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kassa_scales import cas, massak, mtsics
from kassa_scales.reading import ProtocolError, ScaleRefused


def test_cas_frame_from_the_brief() -> None:
    # fiscal.md §5.1: STX "ST,GS,+  1.500kg" CR, 18 bytes
    frame = b"\x02ST,GS,+  1.500kg\r"
    assert len(frame) == cas.FRAME_LEN
    r = cas.decode(frame)
    assert r.grams == 1500 and r.stable and not r.overload
    assert cas.encode(Decimal(1500)) == frame


def test_cas_unstable_overload_negative() -> None:
    assert not cas.decode(b"\x02US,NT,+  0.250kg\r").stable
    assert cas.decode(b"\x02OL,GS,+   .   kg\r").overload
    assert cas.decode(b"\x02ST,GS,-  0.010kg\r").underload
    with pytest.raises(ProtocolError):
        cas.decode(b"\x02XX,GS,+  1.500kg\r")


def test_mtsics_replies_from_instrumentkit() -> None:
    assert mtsics.decode_weight(b"S S     100.00 g\r\n").grams == Decimal("100.00")
    r = mtsics.decode_weight(b"S D      0.512 kg\r\n")
    assert r.grams == 512 and not r.stable
    assert mtsics.decode_weight(b"S +\r\n").overload
    assert mtsics.decode_weight(b"S -\r\n").underload
    for err in (b"ES\r\n", b"ET\r\n", b"EL\r\n", b"S I\r\n"):
        with pytest.raises(ScaleRefused):
            mtsics.decode_weight(err)
    assert mtsics.encode("SI") == b"SI\r\n"


def test_massak_frame_layout_and_crc() -> None:
    # F8 55 CE | LEN=1 | 0x23 | CRC16 (XMODEM, our choice: its check value is 0x31C3)
    assert massak.crc16(b"123456789") == 0x31C3
    f = massak.get_massa()
    assert f[:5] == bytes.fromhex("f8 55 ce 01 00") and f[5] == 0x23 and len(f) == 8
    body = massak.ack_massa(Decimal(1234), division=1, stable=True, tare=Decimal(50))
    assert massak.unframe(massak.frame(body)) == body
    r = massak.decode(body)
    assert (r.grams, r.tare, r.stable) == (Decimal(1234), Decimal(50), True)
    old = massak.decode(massak.ack_massa(Decimal(1230), division=2, stable=False))
    assert old.grams == 1230 and not old.stable and old.tare == 0
    bad = bytearray(massak.frame(body))
    bad[-1] ^= 0xFF
    with pytest.raises(ProtocolError):
        massak.unframe(bytes(bad))
