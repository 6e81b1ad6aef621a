"""Property: whatever single byte of a command frame the line corrupts, the emulated register
never runs the command; it answers NAK, or drops the frame after the byte timeout (fiscal.md
§3.1, §12). Runs the register's line handler over an in-memory byte pipe."""

from __future__ import annotations

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st
from kassa_shtrih import commands as c
from kassa_shtrih.link import ACK, NAK, encode_frame
from kassa_shtrih.sim import ShtrihSimulator
from kassa_shtrih.sim.line import Line


class Pipe:
    """The register's end of a line: bytes in through a memory stream, bytes out kept."""

    def __init__(self) -> None:
        self.tx, self.rx = anyio.create_memory_object_stream[bytes](100)
        self.out = bytearray()

    async def send(self, data: bytes) -> None:
        self.out += data

    async def receive(self, max_bytes: int = 65536) -> bytes:
        return await self.rx.receive()

    async def aclose(self) -> None:
        await self.rx.aclose()


async def _feed(frame: bytes) -> tuple[bytes, ShtrihSimulator]:
    sim = ShtrihSimulator()
    pipe = Pipe()
    async with anyio.create_task_group() as tg:
        tg.start_soon(Line(sim, pipe, closable=True).serve)
        await pipe.tx.send(frame)
        await anyio.sleep(0.08)  # > the 50 ms byte timeout: a cut frame is given up
        tg.cancel_scope.cancel()
    return bytes(pipe.out), sim


FRAME = encode_frame(c.request(c.OPEN_SHIFT, 1))


def test_the_clean_frame_runs() -> None:
    out, sim = anyio.run(_feed, FRAME)
    assert out[0] == ACK and sim.fr.shift_open


@settings(max_examples=25, deadline=None)
@given(st.integers(0, len(FRAME) - 1), st.integers(1, 255))
def test_a_corrupted_frame_never_runs(index: int, mask: int) -> None:
    frame = bytearray(FRAME)
    frame[index] ^= mask
    out, sim = anyio.run(_feed, bytes(frame))
    assert not sim.fr.shift_open and sim.fr.fd == 0, f"ran a frame with byte {index} ^ {mask}"
    # only NAKs (a stray ENQ/NUL among the bytes is answered too), or an error answer
    assert set(out) <= {NAK} or (out[0] == ACK and out[3] != 0), out.hex()
