"""POS check benchmark: a 30-line check from the first scan to the fiscal receipt through the
till engine (``Till``: open the check, 30 scans through the catalog, each line saved and
audited by the check book, the payment planned and stored, ``settle``: card purchase + commit
through ``hub.payments``, the receipt through ``hub.fiscal``, the sale recorded) against the
sum of the bare device calls for the same check in the same run (``SberTerminal.purchase`` +
``commit`` on the sb_pilot emulator, ``AtolRegister.receipt`` of the very same receipt on the
ATOL emulator). Goal: engine overhead <= 20 % (ratio <= 1.2).

    uv run python bench/pos_check_bench.py [--checks 10] [--rounds 3] [--lines 30]

The ATOL emulator runs in a child process (its own GIL); the Sber emulator is its sb_pilot
program, one process per call, as the real one. Each engine check runs beside a bare one
(which goes first alternates), so drift on a shared box hits both. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def serve(pipe: Any) -> None:
    import anyio
    from kassa_atol.sim import AtolSimulator

    async def main() -> None:
        sim = AtolSimulator("r1")
        await sim.start()
        pipe.send(sim.url)
        await anyio.to_thread.run_sync(pipe.recv)
        pipe.send(sim.effects())
        await sim.stop()

    anyio.run(main)


def summary(lat: list[float]) -> dict[str, Any]:
    lat = sorted(lat)
    return {"checks": len(lat), "mean_ms": round(statistics.fmean(lat) * 1000, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 1),
            "max_ms": round(lat[-1] * 1000, 1)}


async def bench(url: str, folder: Path, n: int, rounds: int, lines: int,
                profiler: Any = None) -> dict[str, Any]:
    import kassa_atol
    import kassa_pos
    import kassa_sber
    from kassa.testing import make_hub
    from kassa_atol.register import AtolRegister
    from kassa_atol.settings import RegisterSettings
    from kassa_pos.engine.pay import PayConfig
    from kassa_pos.engine.rights import Person, Role
    from kassa_pos.engine.till import Till
    from kassa_pos.engine.values import Tender
    from kassa_pos.simstore import demo_catalog
    from kassa_sber.settings import TerminalSettings
    from kassa_sber.sim import emulator_argv
    from kassa_sber.terminal import SberTerminal

    anna = Person("1", "Анна", Role.CASHIER)
    config = {
        "atol": {"registers": [{"name": "atol-r1", "url": url, "poll_interval": 0.005}]},
        "sber": {"terminals": [{"name": "sber-1", "pilot": emulator_argv(),
                                "work_dir": str(folder / "sber-hub"), "suspend": True}]},
        "sites": [{"code": "s1", "fiscal": "atol-r1", "terminals": ["sber-1"]}],
        "stations": [{"code": "till1", "site": "s1"}],
        "pos": {"store": "s1", "tills": [{"name": "till1"}],
                "staff": [{"code": "1", "name": "Анна", "role": "cashier"}]}}
    bare_fr = AtolRegister("atol-bare", RegisterSettings(name="atol-bare", url=url,
                                                         poll_interval=0.005))
    bare_card = SberTerminal(TerminalSettings(name="sber-bare", pilot=emulator_argv(),
                                              suspend=True), folder / "sber-bare")
    lat: dict[str, list[float]] = {"bare": [], "engine": [], "scans": []}
    receipts = []
    async with make_hub(config, folder, plugins=[kassa_atol, kassa_sber, kassa_pos]) as hub:
        catalog = demo_catalog(seed=1, n=3000, site="s1", clock=hub.clock)
        goods: list[str] = []  # piece goods with a price: a scan each, no scale, no code
        for it in catalog.items():
            found = catalog.lookup(it.barcodes[0]) if it.barcodes else None
            if found is not None and found.price and not (it.weighed
                                                          or it.marking_required):
                goods.append(it.barcodes[0])
            if len(goods) == lines:
                break
        till = await Till.open(hub, "till1", catalog=catalog,
                               config=PayConfig(terminals=("sber-1",)))
        await till.open_shift(anna)

        async def engine_check() -> Any:
            s = time.perf_counter()
            check = await till.new_check(anna)
            for bc in goods:
                await till.scan(check, bc, actor=anna)
            lat["scans"].append(time.perf_counter() - s)
            card = check.total // 2
            paid = await till.pay(check, [Tender(kind="card", amount=card),
                                          Tender(kind="cash", amount=check.total - card)],
                                  actor=anna)
            return paid

        first = await engine_check()  # warm both paths; its receipt is the bare one's
        plan = await till.payments.sale(first.check_id)
        assert plan is not None
        from kassa import codec
        from kassa.model import Receipt

        receipt = codec.loads(plan["receipt"], Receipt)
        card_amount = sum(p.amount for p in receipt.payments if p.kind == "electronic")

        async def bare_check(k: str) -> None:
            p = await bare_card.purchase(card_amount, key=f"{k}:card")
            await bare_fr.receipt(receipt, key=f"{k}:receipt")
            if p.suspended:
                await bare_card.commit(p, key=f"{k}:commit")

        async def engine_timed() -> None:
            if profiler is not None:
                profiler.start()
            s = time.perf_counter()
            paid = await engine_check()
            lat["engine"].append(time.perf_counter() - s)
            if profiler is not None:
                profiler.stop()
            receipts.append(paid.document.number)

        async def bare_timed(k: str) -> None:
            s = time.perf_counter()
            await bare_check(k)
            lat["bare"].append(time.perf_counter() - s)

        await bare_check("warm")
        # each engine check beside a bare one, in turns (which goes first alternates), so a
        # shared box's drift falls on both paths of a pair alike
        for r in range(rounds):
            for i in range(n):
                if (r * n + i) % 2:
                    await engine_timed()
                    await bare_timed(f"bare:{r}:{i}")
                else:
                    await bare_timed(f"bare:{r}:{i}")
                    await engine_timed()
    await bare_fr.stop()
    b, e = summary(lat["bare"]), summary(lat["engine"])
    scans = summary(lat["scans"][1:])  # the warm-up check is not measured
    pay_p50 = e["p50_ms"] - scans["p50_ms"]
    return {"lines": len(goods), "bare_device_calls": b, "engine": e,
            # where the time goes: the check book's 30 saved + audited scans, then paying
            "engine_scans": scans, "engine_pay_p50_ms": round(pay_p50, 1),
            "pay_ratio_p50": round(pay_p50 / b["p50_ms"], 3),
            "ratio_mean": round(e["mean_ms"] / b["mean_ms"], 3),
            "ratio_p50": round(e["p50_ms"] / b["p50_ms"], 3),
            # the median of each pair's engine / bare (the pair ran back to back)
            "pair_ratio_p50": round(statistics.median(
                x / y for x, y in zip(lat["engine"], lat["bare"], strict=True)), 3),
            "overhead_ms_p50": round(e["p50_ms"] - b["p50_ms"], 1),
            "engine_receipts": len(set(receipts)),
            "goal": "engine overhead <= 20% (ratio <= 1.2)"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checks", type=int, default=10, help="per round and path")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lines", type=int, default=30)
    ap.add_argument("--profile", metavar="HTML",
                    help="profile the engine's checks with pyinstrument (`uv run --with "
                         "pyinstrument ...`) into this HTML file; its timings are then slower")
    args = ap.parse_args()
    import anyio

    profiler = None
    if args.profile:
        try:
            from pyinstrument import Profiler
        except ImportError:
            ap.error("--profile needs pyinstrument: uv run --with pyinstrument python ...")
        profiler = Profiler(async_mode="enabled", interval=0.0002)

    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=serve, args=(there,), daemon=True)
    child.start()
    try:
        url = here.recv()
        with tempfile.TemporaryDirectory(prefix="pos-bench-") as tmp:
            result = anyio.run(bench, url, Path(tmp), args.checks, args.rounds, args.lines,
                               profiler)
        here.send("stop")
        made = here.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
    result["emulator_effects"] = made
    if profiler is not None:
        Path(args.profile).write_text(profiler.output_html())
        print(profiler.output_text(show_all=False, timeline=False), file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if result["engine_receipts"] != args.checks * args.rounds:
        print("the engine's checks did not each get their own receipt", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
