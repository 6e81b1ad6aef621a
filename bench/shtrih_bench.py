"""Shtrih-M: framing cost against bare struct packing, and receipts through ``hub.fiscal``
against the bare driver call, both on the in-process emulator over a real TCP socket.

    uv run python bench/shtrih_bench.py [N]

1. frames/s: ``encode_frame`` + ``decode_frame`` of an FF46 item payload vs a bare
   ``struct.pack``/``unpack`` of the same bytes with the XOR done by ``functools.reduce``
   (what any framing must at least do). Ratio = ours / bare.
2. receipts/s: ``hub.fiscal.receipt`` (validation + the journal on SQLite + the driver) vs
   ``ShtrihRegister.receipt`` called directly; both against the same emulator. The hub's
   ratio shows the core's share on top of ~12 link exchanges per receipt.
3. corrections/s: the FFD 1.2 correction with items (FF35, FF46 per line, FF0C 1173/1174,
   FF45) the same two ways: ``hub.fiscal.correction`` vs ``ShtrihRegister.correction``; and
   the bare correction against the bare receipt (two more exchanges: FF35 and the tags).
"""

from __future__ import annotations

import asyncio
import functools
import operator
import struct
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import kassa_shtrih
from kassa.model import Cashier, CorrectionReceipt, CorrectionType
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt
from kassa_shtrih import commands as c
from kassa_shtrih.device import ShtrihRegister
from kassa_shtrih.link import decode_frame, encode_frame
from kassa_shtrih.sim import ShtrihSimulator
from kassa_shtrih.sim.harness import settings


def frames(n: int) -> tuple[float, float]:
    payload = c.operation_v2(30, op=1, qty=Decimal(1), price=15000, total=15000, tax_rate=1,
                             dept=1, method=4, obj=1, name="Чай зелёный")
    fmt = f"<BB{len(payload)}sB"
    t0 = time.perf_counter()
    for _ in range(n):
        assert decode_frame(encode_frame(payload)) == payload
    ours = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(n):
        body = bytes([len(payload)]) + payload
        raw = struct.pack(fmt, 2, len(payload), payload, functools.reduce(operator.xor, body))
        _, _, got, _ = struct.unpack(fmt, raw)
        assert got == payload
    bare = n / (time.perf_counter() - t0)
    return ours, bare


async def receipts(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = ShtrihSimulator()
        frag = (await sim.start())["shtrih"]["registers"][0]
        try:
            reg = ShtrihRegister(settings("tcp", frag["tcp"]), Path(tmp) / "bare")
            await reg.open_shift(Cashier(name="Bench"), key="open")
            await reg.receipt(sample_receipt(), key="warm")
            t0 = time.perf_counter()
            for i in range(n):
                await reg.receipt(sample_receipt(), key=f"bare:{i}")
            bare = n / (time.perf_counter() - t0)
            await reg.stop()
            config = {"shtrih": {"registers": [frag]}, "sites": [{"code": "r1",
                                                                   "fiscal": frag["name"]}]}
            async with make_hub(config, tmp, plugins=[kassa_shtrih]) as hub:
                await hub.fiscal.receipt(sample_receipt(), key="hub-warm", site="r1")
                t0 = time.perf_counter()
                for i in range(n):
                    await hub.fiscal.receipt(sample_receipt(), key=f"hub:{i}", site="r1")
                via_hub = n / (time.perf_counter() - t0)
        finally:
            await sim.stop()
    return via_hub, bare


def sample_correction() -> CorrectionReceipt:
    r = sample_receipt()
    return CorrectionReceipt(correction_type=CorrectionType.SELF,
                             basis_date=r.issued_at.date(), operation=r.operation,
                             taxation=r.taxation, payments=r.payments, total=r.total,
                             issued_at=r.issued_at, lines=r.lines)


async def corrections(n: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = ShtrihSimulator()
        frag = (await sim.start())["shtrih"]["registers"][0]
        try:
            reg = ShtrihRegister(settings("tcp", frag["tcp"]), Path(tmp) / "bare")
            await reg.open_shift(Cashier(name="Bench"), key="open")
            await reg.correction(sample_correction(), key="warm")
            t0 = time.perf_counter()
            for i in range(n):
                await reg.correction(sample_correction(), key=f"bare:{i}")
            bare = n / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(n):
                await reg.receipt(sample_receipt(), key=f"receipt:{i}")
            receipt = n / (time.perf_counter() - t0)
            await reg.stop()
            config = {"shtrih": {"registers": [frag]}, "sites": [{"code": "r1",
                                                                   "fiscal": frag["name"]}]}
            async with make_hub(config, tmp, plugins=[kassa_shtrih]) as hub:
                await hub.fiscal.correction(sample_correction(), key="hub-warm", site="r1")
                t0 = time.perf_counter()
                for i in range(n):
                    await hub.fiscal.correction(sample_correction(), key=f"hub:{i}",
                                                site="r1")
                via_hub = n / (time.perf_counter() - t0)
        finally:
            await sim.stop()
    return via_hub, bare, receipt


def main(n: int) -> None:
    ours, bare = frames(n * 100)
    print(f"frames  : {ours:10.0f}/s encode+decode  vs bare struct {bare:10.0f}/s"
          f"  ratio {ours / bare:.2f}")
    via_hub, direct = asyncio.run(receipts(n))
    print(f"receipts: {via_hub:10.1f}/s hub.fiscal     vs bare driver {direct:10.1f}/s"
          f"  ratio {via_hub / direct:.2f}")
    corr_hub, corr_bare, receipt = asyncio.run(corrections(n))
    print(f"correct.: {corr_hub:10.1f}/s hub.fiscal     vs bare driver {corr_bare:10.1f}/s"
          f"  ratio {corr_hub / corr_bare:.2f}")
    print(f"correct.: {corr_bare:10.1f}/s bare correction vs bare receipt {receipt:8.1f}/s"
          f"  ratio {corr_bare / receipt:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
