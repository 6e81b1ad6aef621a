"""Scales: weight reads/s and latency to stable against the emulators (TCP, localhost), and
a PLU upload of 5,000 items, full vs diff (time and bytes). Ratios are against a baseline
run in the same process: the MT-SICS read and the full upload.

    uv run python bench/scales_bench.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from kassa_scales.label import LabelScale
from kassa_scales.plu import CatalogueItem, table_for
from kassa_scales.scale import PosScale
from kassa_scales.sim import Curve, LabelScaleEmulator, ScaleSimulator, emulator_for

READS = 500


async def reads_per_second(protocol: str) -> float:
    sim = ScaleSimulator(emulator_for(protocol, Curve.steady(1000)))
    await sim.start()
    scale = PosScale(sim.settings())
    await scale.start()
    t = time.perf_counter()
    for _ in range(READS):
        await scale.read()
    rate = READS / (time.perf_counter() - t)
    await scale.stop()
    await sim.stop()
    return rate


async def to_stable(protocol: str, runs: int = 5) -> float:
    """Seconds from a placed load (0.2 s ramp + 0.3 s settle) to a stable read."""
    times = []
    for _ in range(runs):
        curve = Curve(start=0).ramp(900, 0.2).settle(900, 0.3, swing=25)
        sim = ScaleSimulator(emulator_for(protocol, curve))
        await sim.start()
        scale = PosScale(sim.settings(stable_timeout=2.0, poll_interval=0.02))
        await scale.start()
        curve.restart()
        t = time.perf_counter()
        w = await scale.read()
        assert w.stable
        times.append(time.perf_counter() - t)
        await scale.stop()
        await sim.stop()
    return statistics.median(times)


async def upload(n: int = 5000) -> None:
    emu = LabelScaleEmulator(table_size=n)
    sim = ScaleSimulator(emu, name="label")
    await sim.start()
    with tempfile.TemporaryDirectory() as tmp:
        scale = LabelScale(sim.settings(plu_table_size=n, timeout=2.0), data_dir=Path(tmp))
        await scale.start()
        catalogue = [CatalogueItem(code=i, name=f"Товар весовой номер {i}", price=10000 + i)
                     for i in range(1, n + 1)]
        table = table_for(catalogue, scale.settings)
        t = time.perf_counter()
        full = await scale.upload(table, key="full", full=True)
        t_full = time.perf_counter() - t
        changed = [CatalogueItem(code=c.code, name=c.name, price=c.price + 1)
                   if c.code % 100 == 0 else c for c in catalogue]  # 1 % of prices changed
        t = time.perf_counter()
        diff = await scale.upload(table_for(changed, scale.settings), key="diff")
        t_diff = time.perf_counter() - t
        await scale.stop()
    await sim.stop()
    print(f"PLU upload {n}: full {t_full:.2f} s, {full['bytes']} bytes, {full['sent']} PLUs")
    print(f"PLU upload {n}, 1% changed: diff {t_diff:.3f} s, {diff['bytes']} bytes,"
          f" {diff['sent']} PLUs; diff/full time {t_diff / t_full:.3f},"
          f" bytes {diff['bytes'] / full['bytes']:.3f}")


async def main() -> None:
    base = await reads_per_second("mtsics")
    for p in ("mtsics", "cas", "cas:type1", "massak", "shtrih_pos2"):
        rate = base if p == "mtsics" else await reads_per_second(p)
        print(f"{p:11s} reads/s {rate:8.0f}  ({rate / base:.2f}x mtsics)"
              f"  to stable {await to_stable(p) * 1000:6.0f} ms"
              " (0.2 s ramp, swing decaying over 0.3 s)")
    await upload()


if __name__ == "__main__":
    asyncio.run(main())
