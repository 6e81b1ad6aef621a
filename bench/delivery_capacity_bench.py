"""How many delivery drivers one office register serves, from the bytes a delivery receipt
really takes on a Shtrih-M serial link and the link's documented speed.

    uv run python bench/delivery_capacity_bench.py [--receipts 20] [--lines 4]

No source gives a register's time per receipt (fiscal.md has none). What is known: a
Shtrih-M register's serial link defaults to 4800 baud, 8N1 (fiscal.md §3.1, the rosix
document; pyshtrih uses 9600; discovery tries up to 115200). So this bench runs the real
driver against the emulator over a pty, counts every byte both ways for each delivery-shaped
receipt (order lines, card or cash, the buyer's e-mail in 1008, the office cashier), and turns
the count into link time at those rates (10 bits a byte on 8N1). That is a LOWER bound of the
receipt time: printing and the FN's own write come on top and are not known, so the drivers
figure is an UPPER bound. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BAUDS = (4800, 9600, 115200)  # the documented default, pyshtrih's, the highest tried
DELIVERIES_PER_DRIVER_HOUR = 4  # the same assumption docs/plugins/delivery.md states


def delivery_receipt(n: int, lines: int) -> Any:
    from kassa.model import (
        Cashier,
        Operation,
        PaymentKind,
        Receipt,
        ReceiptLine,
        ReceiptPayment,
        TaxSystem,
        VatRate,
    )

    items = [ReceiptLine(name=f"Вода питьевая 19 л, бутыль №{i + 1}", price=35000,
                         quantity=1 + i % 2, total=35000 * (1 + i % 2), vat=VatRate.VAT22)
             for i in range(lines)]
    total = sum(i.total for i in items)
    kind = PaymentKind.ELECTRONIC if n % 2 else PaymentKind.CASH
    return Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN, lines=items,
                   payments=[ReceiptPayment(kind=kind, amount=total)], total=total,
                   issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
                   cashier=Cashier(name="Офис доставки"),
                   customer_contact=f"buyer{n}@example.ru")


async def run(receipts: int, lines: int) -> dict[str, Any]:
    from kassa.model import Cashier
    from kassa_shtrih.sim import line as sim_line
    from kassa_shtrih.sim.harness import SimRegister

    counted = {"bytes": 0}
    send, receive = sim_line.PtyStream.send, sim_line.PtyStream.receive

    async def counting_send(self: Any, data: bytes) -> None:
        counted["bytes"] += len(data)
        await send(self, data)

    async def counting_receive(self: Any, max_bytes: int = 65536) -> bytes:
        data = await receive(self, max_bytes)
        counted["bytes"] += len(data)
        return data

    sim_line.PtyStream.send = counting_send  # type: ignore[method-assign]
    sim_line.PtyStream.receive = counting_receive  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        reg = SimRegister(Path(tmp) / "state", "pty")
        await reg.start()
        try:
            await reg.open_shift(Cashier(name="Офис доставки"), key="bench-open")
            per: list[int] = []
            took: list[float] = []
            for n in range(receipts):
                before = counted["bytes"]
                t0 = time.perf_counter()
                await reg.receipt(delivery_receipt(n, lines), key=f"bench-{n}")
                took.append(time.perf_counter() - t0)
                per.append(counted["bytes"] - before)
        finally:
            await reg.stop()
    per.sort()
    median = per[len(per) // 2]
    out: dict[str, Any] = {"receipts": receipts, "lines_per_receipt": lines,
                           "bytes_per_receipt_median": median,
                           "bytes_per_receipt_max": per[-1],
                           "emulator_ms_per_receipt_median":
                               round(sorted(took)[len(took) // 2] * 1000, 1),
                           "deliveries_per_driver_hour": DELIVERIES_PER_DRIVER_HOUR,
                           "at_baud": {}}
    for baud in BAUDS:
        seconds = median * 10 / baud
        per_hour = 3600 / seconds
        out["at_baud"][str(baud)] = {
            "link_seconds_per_receipt": round(seconds, 2),
            "receipts_per_hour_at_most": int(per_hour),
            "drivers_at_most": int(per_hour / DELIVERIES_PER_DRIVER_HOUR)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--receipts", type=int, default=20)
    ap.add_argument("--lines", type=int, default=4)
    args = ap.parse_args()
    print(json.dumps(anyio.run(run, args.receipts, args.lines), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
