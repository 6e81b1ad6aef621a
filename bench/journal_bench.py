"""Journal overhead per fiscal call, against a bare component call in the same run.

The component is the reference register (``kassa.testing.fakes.FakeRegister``, its far end
an in-memory SQLite), so the bare call costs what a fast local driver costs. Measured:

1. bare: ``await register.receipt(receipt, key)``;
2. journal: the same call through ``Journal.run`` (pending committed and fsynced before, the
   done mark committed after without an fsync, as the journal does), and, alternating call by
   call in the same run, a journal whose done mark is fsynced too (what it did before);
3. service: ``hub.fiscal.receipt`` (validation, the journal, the ``fiscal_receipt`` event);
4. replay: ``Journal.run`` with a key already done (the recorded result, no call).

Prints per-call microseconds (median and p99) and ratios to the bare call.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

N = int(os.environ.get("BENCH_CALLS", "400"))


def _stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs) * 1e6, xs[int(len(xs) * 0.99) - 1] * 1e6


async def main() -> None:
    from kassa import hookimpl
    from kassa.journal import Journal
    from kassa.model import Cashier, FiscalDocument
    from kassa.store import Store
    from kassa.testing import make_hub
    from kassa.testing.contracts import sample_receipt
    from kassa.testing.fakes import FakeRegister

    receipt = sample_receipt()
    with tempfile.TemporaryDirectory() as tmp:
        reg = FakeRegister("fr1")
        await reg.open_shift(Cashier(name="bench"), "open")

        bare = []
        for i in range(N):
            t = time.perf_counter()
            await reg.receipt(receipt, f"bare-{i}")
            bare.append(time.perf_counter() - t)

        class EveryMarkFsynced(Store):
            async def write_sync(self, fn: Any, *, durable: bool = True) -> Any:
                return await super().write_sync(fn)

        store = Store(f"sqlite+aiosqlite:///{Path(tmp) / 'journal.db'}")
        await store.prepare()
        journal = Journal(store, now=lambda: datetime.now(UTC))
        synced_store = EveryMarkFsynced(f"sqlite+aiosqlite:///{Path(tmp) / 'synced.db'}")
        await synced_store.prepare()
        synced = Journal(synced_store, now=lambda: datetime.now(UTC))

        async def run(key: str, journal: Journal = journal) -> FiscalDocument:
            return await journal.run(key, component="fr1", concern="fiscal", kind="receipt",
                                     site="s1", station="t1", request=receipt,
                                     call=lambda: reg.receipt(receipt, key),
                                     lookup=reg.lookup, result_type=FiscalDocument)

        journaled, fsynced = [], []
        for i in range(N):
            t = time.perf_counter()
            await run(f"j-{i}")
            journaled.append(time.perf_counter() - t)
            t = time.perf_counter()
            await run(f"f-{i}", synced)
            fsynced.append(time.perf_counter() - t)
        await synced_store.close()
        replay = []
        for i in range(N):
            t = time.perf_counter()
            await run(f"j-{i}")
            replay.append(time.perf_counter() - t)
        await store.close()

        class P:
            @hookimpl
            def register_fiscal_devices(self, hub):
                return [reg]

        service = []
        cfg = {"sites": [{"code": "s1", "fiscal": "fr1"}]}
        async with make_hub(cfg, Path(tmp) / "hub", plugins=[P()]) as hub:
            for i in range(N):
                t = time.perf_counter()
                await hub.fiscal.receipt(receipt, key=f"s-{i}", site="s1")
                service.append(time.perf_counter() - t)

    b, bp = _stats(bare)
    print(f"journal bench: {N} receipts each, SQLite file store")
    print(f"  bare component call   median {b:8.0f} us  p99 {bp:8.0f} us")
    for name, xs in (("through Journal.run", journaled), ("every mark fsynced", fsynced),
                     ("hub.fiscal.receipt", service),
                     ("replay of a done key", replay)):
        m, p = _stats(xs)
        print(f"  {name:21} median {m:8.0f} us  p99 {p:8.0f} us  "
              f"overhead {m - b:8.0f} us  ratio {m / b:5.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
