"""ESC/POS benchmark: tickets/s to the emulator through ``hub.devices`` (the journal on
SQLite, a DLE EOT status round trip before and after every ticket), the driver alone (no
journal), and python-escpos's own ``Network`` printer writing the same bytes to the same
emulator with no status and no journal (the baseline).

    uv run python bench/escpos_bench.py [--tickets 300]

The emulator runs in a child process (its parser does not share our GIL); each figure ends
when the emulator has cut every ticket. Prints a JSON summary with the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from typing import Any

LINES = ("::big Кафе «Берёзка»", "Стол 5, официант Анна", "::rule", "2 x Борщ        500,00",
         "1 x Хлеб         40,00", "::b Итого: 540,00 ₽", "::qr https://check.ofd.ru/?fn=1",
         "::center Спасибо!")


def emulator(pipe: Any) -> None:
    import anyio
    from kassa_escpos.sim import EscposSimulator

    async def main() -> None:
        sim = EscposSimulator([("bench", "s1")])
        await sim.start()
        pipe.send(sim["bench"].port)
        while True:
            ask = await anyio.to_thread.run_sync(pipe.recv)
            if ask == "stop":
                break
            pipe.send((len(sim["bench"].paper.tickets), len(sim["bench"].paper.flags)))
        await sim.stop()

    anyio.run(main)


def wait_for(pipe: Any, n: int) -> None:
    while True:
        pipe.send("count")
        got, flags = pipe.recv()
        if flags:
            sys.exit(f"the emulator flagged {flags} commands")
        if got >= n:
            return
        time.sleep(0.002)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=300)
    n = ap.parse_args().tickets
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=emulator, args=(child,), daemon=True)
    proc.start()
    port = parent.recv()

    import anyio
    import kassa_escpos
    from escpos.printer import Network
    from kassa.model import PrintJob
    from kassa.testing import make_hub
    from kassa_escpos.printer import EscposPrinter
    from kassa_escpos.settings import PrinterSettings
    from kassa_escpos.ticket import render

    job = PrintJob(lines=LINES)
    settings = PrinterSettings(name="bench", host="127.0.0.1", port=port, site="s1",
                               status_interval=0)
    done = 0
    out: dict[str, Any] = {"tickets": n}

    # baseline: python-escpos's Network printer, the same bytes, no status, no journal
    net = Network("127.0.0.1", port=port, timeout=10)
    net.open()
    t0 = time.perf_counter()
    for i in range(n):
        net.device.sendall(render(job, f"base-{i}", settings))
    wait_for(parent, done + n)
    base = n / (time.perf_counter() - t0)
    net.close()
    done += n

    async def driver_only() -> float:
        p = EscposPrinter(settings)
        await p.start()
        t = time.perf_counter()
        for i in range(n):
            await p.print(job, key=f"drv-{i}")
        await anyio.to_thread.run_sync(wait_for, parent, done + n)
        rate = n / (time.perf_counter() - t)
        await p.stop()
        return rate

    async def through_hub() -> float:
        cfg = {"sites": [{"code": "s1", "printers": ["bench"]}],
               "escpos": {"printers": [{"name": "bench", "host": "127.0.0.1", "port": port,
                                        "site": "s1", "status_interval": 0}]}}
        with tempfile.TemporaryDirectory() as tmp:
            async with make_hub(cfg, tmp, plugins=[kassa_escpos]) as hub:
                t = time.perf_counter()
                for i in range(n):
                    await hub.devices.print(job, key=f"hub-{i}", site="s1")
                await anyio.to_thread.run_sync(wait_for, parent, done + 2 * n)
                return n / (time.perf_counter() - t)

    drv = anyio.run(driver_only)
    hub = anyio.run(through_hub)
    parent.send("stop")
    proc.join(5)
    out.update({"python_escpos_network_per_s": round(base, 1),
                "driver_per_s": round(drv, 1), "hub_devices_per_s": round(hub, 1),
                "driver_vs_baseline": round(drv / base, 3),
                "hub_vs_baseline": round(hub / base, 3)})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
