"""Framing (fiscal.md §3.1): STX LEN CMD DATA LRC, LRC = XOR of LEN..DATA. Fixtures are the
frames the protocol documents show; properties cover every payload and every corruption."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kassa_shtrih import commands as c
from kassa_shtrih.link import FrameError, FrameReader, decode_frame, encode_frame, lrc

# short status (0x10) with the sysadmin password 30, written out by hand from §3.1's rule
# (LEN = CMD + DATA, LRC = XOR of LEN..DATA) exactly as pyshtrih's Protocol.command(0x10, 30)
# builds it: 05 ^ 10 ^ 1E ^ 00 ^ 00 ^ 00 = 0B
SHORT_STATUS_30 = bytes.fromhex("02 05 10 1E 00 00 00 0B")


def test_documented_short_status_frame() -> None:
    assert encode_frame(c.request(c.SHORT_STATUS, 30)) == SHORT_STATUS_30
    assert decode_frame(SHORT_STATUS_30) == bytes.fromhex("10 1E 00 00 00")


def test_fn_commands_carry_two_command_bytes() -> None:
    frame = encode_frame(c.request(c.FN_STATUS, 30))
    assert frame[:4] == bytes([0x02, 0x06, 0xFF, 0x01])  # LEN counts FF 01 + password
    assert frame[-1] == lrc(frame[1:-1])


def test_payload_limits() -> None:
    with pytest.raises(ValueError):
        encode_frame(b"")
    with pytest.raises(ValueError):
        encode_frame(bytes(256))
    assert len(encode_frame(bytes(255))) == 258


@given(st.binary(min_size=1, max_size=255))
def test_round_trip(payload: bytes) -> None:
    frame = encode_frame(payload)
    assert decode_frame(frame) == payload
    reader = FrameReader()
    out = None
    for b in frame[1:]:
        out = reader.feed(bytes([b]))
    assert out == payload


@given(st.binary(min_size=1, max_size=255), st.data())
def test_any_single_byte_corruption_is_detected(payload: bytes, data: st.DataObject) -> None:
    frame = bytearray(encode_frame(payload))
    i = data.draw(st.integers(0, len(frame) - 1))
    frame[i] ^= data.draw(st.integers(1, 255))
    try:
        got = decode_frame(bytes(frame))
    except FrameError:
        return
    pytest.fail(f"corrupted byte {i} accepted as payload {got!r}")


@given(st.binary(min_size=1, max_size=60), st.binary(min_size=1, max_size=8))
def test_truncated_or_padded_frames_are_rejected(payload: bytes, extra: bytes) -> None:
    frame = encode_frame(payload)
    for bad in (frame[:-1], frame + extra):
        with pytest.raises(FrameError):
            decode_frame(bad)


def test_money_and_quantity_encoding() -> None:
    assert c.le(15000, 5) == bytes.fromhex("983A000000")
    from decimal import Decimal

    assert c.quantity6(Decimal("1.5")) == 1_500_000
    assert c.text("Чай", 5) == "Чай".encode("cp1251") + b"\0\0"
