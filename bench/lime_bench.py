"""Lime benchmark: a check of 30 lines paid from 3 cards, put to the simulated Lime.

    uv run python bench/lime_bench.py [--checks 200]

Three figures, each over the same simulator in a child process (its JSON handling does not
share our GIL) and the same checks:

- ``bare``: httpx posting a ready PutCheck body with a fixed bearer token (the baseline);
- ``client``: ``LimeClient.put_check`` with the body built by ``wire.put_check`` from a
  ``Check`` (token management, error mapping, rubles formatting);
- ``capture_check``: ``LimeAccounts.capture_check`` end to end: 3 holds' rights spread over 30 lines
  (``split.spread``), the outbox row committed to SQLite (synchronous=FULL), GetNextCheckId,
  PutCheck, delivered state written. Holds are made outside the timing.

Prints a JSON summary with per-check milliseconds and the ratios to ``bare``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

LINES, CARDS = 30, ("7799000", "7799001", "7799002")


def simulator(pipe: Any) -> None:
    import anyio
    from kassa_lime.sim import LimeSimulator, demo_model

    async def main() -> None:
        model = demo_model()
        for card in model.cards.values():  # enough money for every run
            for right in card.rights.values():
                right.amount = 10**12
        sim = LimeSimulator(model=model)
        await sim.start()
        pipe.send(sim.url)
        while (await anyio.to_thread.run_sync(pipe.recv)) != "stop":
            pipe.send(sim.model.put_checks)
        await sim.stop()

    anyio.run(main)


def order_lines() -> list[Any]:
    from kassa.model import OrderLine

    return [OrderLine(code=str(42 + n % 3), name=f"Позиция {n}", quantity=Decimal(1 + n % 2),
                      price=10000 + 100 * n, amount=(10000 + 100 * n) * (1 + n % 2))
            for n in range(LINES)]


async def run(url: str, checks: int) -> dict[str, float]:
    import httpx
    from kassa import config
    from kassa_lime import wire
    from kassa_lime.accounts import LimeAccounts
    from kassa_lime.check import Check, Line, Share, Source
    from kassa_lime.client import LimeClient
    from kassa_lime.mapping import lines_for
    from kassa_lime.settings import LimeSettings
    from kassa_lime.store import LimeStore

    tmp = tempfile.mkdtemp(prefix="lime-bench-")
    raw = {"base_url": url, "username": "kassa", "password": "lime-sim",
           "installation_id": 79, "cashdesk_id": 210, "state_dir": tmp, "timeout": 10.0,
           "good_types": [{"code": c, "good_type_id": int(c)} for c in ("42", "43", "44")]}
    settings: LimeSettings = config.parse({"lime": raw},
                                          sections={"lime": LimeSettings}).plugins["lime"]
    client = LimeClient(url, username="kassa", password=settings.password, timeout=10.0)
    tz = client.tz
    await client.ensure_shift(210)
    base = lines_for(settings, order_lines())
    total = sum(ln.total for ln in base)
    third = total // 3
    from kassa_lime import split

    sources = [(Source(card_id=777 + i, card_uid=c, right_id=555 + 2 * i, right_name="Депозит"),
                third if i < 2 else total - 2 * third) for i, c in enumerate(CARDS)]
    spread = split.spread([ln.total for ln in base], sources)
    lines = [Line(name=ln.name, good_type_id=ln.good_type_id, units=ln.units,
                  base_price=ln.base_price, price=ln.price,
                  shares=[Share(source=s, amount=a) for s, a in paid])
             for ln, paid in zip(base, spread, strict=True)]

    def body(number: int) -> dict[str, Any]:
        return wire.put_check(Check(number=number, time=datetime.now(UTC), lines=lines),
                              installation_id=79, cashdesk_id=210, user_id=1, processing_id=3,
                              other_processing_id=1, tz=tz)

    out: dict[str, float] = {}
    # bare: ids and bodies prepared beforehand, one token, plain httpx
    token = (await client.token()).reveal()
    bare = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"})
    ids = [await client.next_check_id(210) for _ in range(checks)]
    bodies = [body(n) for n in ids]
    t0 = time.perf_counter()
    for b in bodies:
        r = await bare.post("/api/CashdeskServer/PutCheck", json=b)
        assert r.status_code == 200, r.text
    out["bare"] = (time.perf_counter() - t0) / checks
    await bare.aclose()

    ids = [await client.next_check_id(210) for _ in range(checks)]
    t0 = time.perf_counter()
    for n in ids:
        await client.put_check(body(n))
    out["client"] = (time.perf_counter() - t0) / checks

    acc = LimeAccounts(settings, client, LimeStore(Path(tmp) / "lime.db"))
    holds = [[(await acc.hold(c, total, key=f"h{k}-{c}")) for c in CARDS] for k in range(checks)]
    t0 = time.perf_counter()
    for k, hs in enumerate(holds):
        amounts = [third, third, total - 2 * third]
        await acc.capture_check(order_lines(),
                                [(h.id, a) for h, a in zip(hs, amounts, strict=True)],
                                key=f"c{k}")
    out["capture_check"] = (time.perf_counter() - t0) / checks
    assert not acc.store.pending(), "every check delivered"
    await client.aclose()
    acc.store.close()
    return out


def main() -> int:
    import anyio

    ap = argparse.ArgumentParser()
    ap.add_argument("--checks", type=int, default=200)
    args = ap.parse_args()
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=simulator, args=(child,), daemon=True)
    proc.start()
    url = parent.recv()
    try:
        out = anyio.run(run, url, args.checks)
        parent.send("count")
        put = parent.recv()
    finally:
        parent.send("stop")
        proc.join(10)
    summary = {"checks": args.checks, "lines": LINES, "cards": len(CARDS), "put_checks": put,
               **{f"{k}_ms": round(v * 1000, 3) for k, v in out.items()},
               "client_vs_bare": round(out["client"] / out["bare"], 2),
               "capture_check_vs_bare": round(out["capture_check"] / out["bare"], 2)}
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
