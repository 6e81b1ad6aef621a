"""Sber UPOS benchmark: card purchases/s through ``hub.payments`` (the journal on SQLite, the
service, its events) against the bare ``SberTerminal.purchase`` call, both over the real
transport (one sb_pilot emulator run per purchase, a child Python process) in the same run.

    uv run python bench/sber_bench.py [--purchases 20] [--rounds 3] [--suspend]

Rounds alternate bare / hub so drift on a shared box hits both. A real terminal takes
seconds per purchase (a person, a PIN, the bank): the emulator's ~0.1 s start-up is already
the floor, so the ratio shows the hub's overhead against the cheapest possible terminal.
Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def summary(name: str, lat: list[float], wall: float) -> dict[str, Any]:
    lat = sorted(lat)
    return {"name": name, "purchases": len(lat), "per_s": round(len(lat) / wall, 2),
            "p50_ms": round(statistics.median(lat) * 1000, 1),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1)}


async def bench(folder: Path, n: int, rounds: int, suspend: bool) -> dict[str, Any]:
    import kassa_sber
    from kassa.testing import make_hub
    from kassa_sber import sim_tape
    from kassa_sber.settings import TerminalSettings
    from kassa_sber.sim import emulator_argv
    from kassa_sber.terminal import SberTerminal

    bare_dir, hub_dir = folder / "bare", folder / "hub"
    bare = SberTerminal(TerminalSettings(name="sber-bare", pilot=emulator_argv(),
                                         suspend=suspend), bare_dir)
    config = {"sber": {"terminals": [{"name": "sber-1", "pilot": emulator_argv(),
                                      "work_dir": str(hub_dir), "suspend": suspend}]},
              "sites": [{"code": "r1", "terminals": ["sber-1"]}]}
    lat: dict[str, list[float]] = {"bare": [], "hub": []}
    wall = {"bare": 0.0, "hub": 0.0}
    async with make_hub(config, folder, plugins=[kassa_sber]) as hub:
        for r in range(rounds):
            t0 = time.perf_counter()
            for i in range(n):
                s = time.perf_counter()
                p = await bare.purchase(1000 + i, key=f"bare:{r}:{i}")
                if p.suspended:  # else the next purchase's bank session cancels it
                    await bare.commit(p, key=f"bare:{r}:{i}:commit")
                lat["bare"].append(time.perf_counter() - s)
            wall["bare"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            for i in range(n):
                s = time.perf_counter()
                p = await hub.payments.purchase(1000 + i, key=f"hub:{r}:{i}", site="r1")
                if p.suspended:
                    await hub.payments.commit(p, key=f"hub:{r}:{i}:commit", site="r1")
                lat["hub"].append(time.perf_counter() - s)
            wall["hub"] += time.perf_counter() - t0
    b, h = summary("bare", lat["bare"], wall["bare"]), summary("hub", lat["hub"], wall["hub"])
    charged = {"bare": sim_tape.charges(bare_dir), "hub": sim_tape.charges(hub_dir)}
    assert charged == {"bare": n * rounds, "hub": n * rounds}, charged  # once per key
    return {"bare": b, "hub": h, "hub_vs_bare_per_s": round(h["per_s"] / b["per_s"], 3),
            "overhead_ms_p50": round(h["p50_ms"] - b["p50_ms"], 1), "suspend": suspend,
            "charges": charged}


def main() -> None:
    import anyio

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--purchases", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--suspend", action="store_true",
                    help="SuspendTrx after each purchase and CommitTrx after it (three"
                         " sb_pilot runs per sale)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = anyio.run(bench, Path(tmp), args.purchases, args.rounds, args.suspend)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
