"""The emulator at the byte level, over a raw socket and the raw pty, not through our
driver: the handshake of fiscal.md §3.1 and §12 and pyshtrih's frames (its Protocol class:
NUL probe -> NAK, ENQ -> NAK idle / ACK + answer, NAK then ENQ to get the answer again)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import anyio
import pytest
from anyio.abc import SocketStream
from kassa_shtrih import commands as c
from kassa_shtrih.link import ACK, ENQ, NAK, NUL, decode_frame, encode_frame
from kassa_shtrih.sim import ShtrihSimulator

pytestmark = pytest.mark.anyio

SHORT_STATUS_30 = bytes.fromhex("02 05 10 1E 00 00 00 0B")  # see test_link


@pytest.fixture
async def line() -> AsyncIterator[tuple[ShtrihSimulator, SocketStream]]:
    sim = ShtrihSimulator()
    await sim.start()
    stream = await anyio.connect_tcp("127.0.0.1", sim.port)
    try:
        yield sim, stream
    finally:
        _buffers.pop(id(stream), None)
        await stream.aclose()
        await sim.stop()


_buffers: dict[int, bytearray] = {}


async def read(stream: SocketStream, n: int, wait: float = 1.0) -> bytes:
    """Exactly ``n`` bytes (fewer only if the line stays silent for ``wait``)."""
    buf = _buffers.setdefault(id(stream), bytearray())
    with anyio.move_on_after(wait):
        while len(buf) < n:
            buf += await stream.receive()
    out = bytes(buf[:n])
    del buf[:n]
    return out


async def answer(stream: SocketStream) -> bytes:
    head = await read(stream, 2)
    rest = await read(stream, head[1] + 1)
    return decode_frame(head + rest)


async def test_nul_and_enq_when_idle_get_nak(line: tuple[ShtrihSimulator, SocketStream]
                                             ) -> None:
    _, s = line
    await s.send(bytes([NUL]))
    assert await read(s, 1) == bytes([NAK])
    await s.send(bytes([ENQ]))
    assert await read(s, 1) == bytes([NAK])


async def test_documented_frame_gets_ack_then_a_valid_answer(
        line: tuple[ShtrihSimulator, SocketStream]) -> None:
    _, s = line
    await s.send(SHORT_STATUS_30)
    assert await read(s, 1) == bytes([ACK])
    payload = await answer(s)
    await s.send(bytes([ACK]))
    assert payload[:2] == bytes([0x10, 0x00])  # CMD, error 0
    assert c.short_status(payload[2:]).mode == 4  # shift closed
    await s.send(bytes([ENQ]))
    assert await read(s, 1) == bytes([NAK]), "an ACKed answer is not pending any more"


async def test_bad_lrc_gets_nak_and_does_nothing(line: tuple[ShtrihSimulator, SocketStream]
                                                 ) -> None:
    sim, s = line
    frame = bytearray(encode_frame(c.request(c.OPEN_SHIFT, 1)))
    frame[-1] ^= 0x55
    await s.send(bytes(frame))
    assert await read(s, 1) == bytes([NAK])
    assert sim.fr.fd == 0 and not sim.fr.shift_open
    await s.send(bytes([ENQ]))
    assert await read(s, 1) == bytes([NAK]), "a NAKed frame leaves no answer pending"


async def test_answer_is_repeated_after_nak_and_enq(line: tuple[ShtrihSimulator, SocketStream]
                                                    ) -> None:
    sim, s = line
    await s.send(encode_frame(c.request(c.OPEN_SHIFT, 1)))
    assert await read(s, 1) == bytes([ACK])
    first = await answer(s)
    await s.send(bytes([NAK, ENQ]))  # pyshtrih's handle_response on a bad LRC
    assert await read(s, 1) == bytes([ACK])
    again = await answer(s)
    assert first == again == bytes([0xE0, 0x00, 0x01])
    assert sim.fr.fd == 1, "the repeat is the same answer, not a second shift"


async def test_wrong_password_is_an_error_byte_in_a_good_frame(
        line: tuple[ShtrihSimulator, SocketStream]) -> None:
    _, s = line
    await s.send(encode_frame(c.request(c.X_REPORT, 1)))  # X needs the sysadmin (30)
    assert await read(s, 1) == bytes([ACK])
    assert await answer(s) == bytes([0x40, 0x4F])
    await s.send(bytes([ACK]))
    await s.send(encode_frame(c.request(c.SHORT_STATUS, 12345)))
    assert await read(s, 1) == bytes([ACK])
    assert await answer(s) == bytes([0x10, 0x4F])


async def test_disconnected_register_is_silent(line: tuple[ShtrihSimulator, SocketStream]
                                               ) -> None:
    sim, s = line
    sim.control("link off")
    await s.send(bytes([ENQ]) + SHORT_STATUS_30)
    assert await read(s, 1, wait=0.2) == b""
    sim.control("link on")
    await s.send(bytes([ENQ]))
    assert await read(s, 1) == bytes([NAK])


async def test_frame_cut_short_is_dropped_after_the_byte_timeout(
        line: tuple[ShtrihSimulator, SocketStream]) -> None:
    sim, s = line
    frame = encode_frame(c.request(c.OPEN_SHIFT, 1))
    await s.send(frame[:4])
    await anyio.sleep(0.15)  # > 50 ms between bytes
    await s.send(bytes([ENQ]))
    assert await read(s, 1) == bytes([NAK])
    assert sim.fr.fd == 0


async def test_pyshtrih_legacy_sale_and_close(line: tuple[ShtrihSimulator, SocketStream]
                                              ) -> None:
    """pyshtrih's sale((text, qty, price)) -> 0x80 with qty x1000, close_check(cash) -> 0x85."""
    sim, s = line
    for req in (c.request(c.OPEN_SHIFT, 1), c.legacy_sale(1, 2000, 5050, "Булка"),
                c.legacy_close(1, 20000)):
        await s.send(encode_frame(req))
        assert await read(s, 1) == bytes([ACK])
        got = await answer(s)
        await s.send(bytes([ACK]))
        assert got[1] == 0, f"0x{got[0]:02X} refused with 0x{got[1]:02X}"
    assert got == bytes([0x85, 0x00, 0x01]) + c.le(20000 - 10100, 5)  # change
    assert [d.total for d in sim.fr.receipts()] == [10100]


async def test_the_pty_speaks_the_same_bytes() -> None:
    sim = ShtrihSimulator(tcp=False, pty=True)
    frag = await sim.start()
    path = frag["shtrih"]["registers"][0]["serial"]
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        import tty

        tty.setraw(fd)
        os.write(fd, bytes([ENQ]))
        await anyio.sleep(0.1)
        assert os.read(fd, 16) == bytes([NAK])
        os.write(fd, SHORT_STATUS_30)
        await anyio.sleep(0.1)
        got = os.read(fd, 64)
        assert got[0] == ACK and decode_frame(got[1:])[:2] == bytes([0x10, 0x00])
    finally:
        os.close(fd)
        await sim.stop()
