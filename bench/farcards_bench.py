"""FarCards dispatcher benchmark (plain script, < 60 s).

Latency p50/p99 of the two FarCards calls through the dispatcher (``Door.answer``: parse the
XML, route the card, the component calls through ``hub.payments`` / the journal, render the
answer; no socket) against the same component calls made directly on the bonus plugin's
components in the same hub and the same run (the baseline): getcardinfoex = ``identify`` +
``quote`` + ``hub.payments.balance``; transactionsex = ``identify`` + ``quote`` (the points
limit the job needs) + ``hub.payments.hold`` + ``capture`` + ``hub.journal.run(commit)``. The
ratio is the dispatcher's overhead (goal <= 1.15).

The Lime leg: transactionsex of a check paid by two Lime cards through the dispatcher (one
``capture_check``: ONE PutCheck to the Lime simulator over a socket) against the same calls
made directly (``identify`` + ``quote`` per card, ``hub.payments.hold`` per card,
``hub.payments.capture_check``) in the same hub and run; then the cancellation of each
check through the dispatcher (ONE ``refund_check``: one Lime return check) against
``identify`` per card + ``hub.payments.refund_check`` called directly.

    uv run python bench/farcards_bench.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio
import kassa_bonus
import kassa_lime
import kassa_rkeeper
from kassa.model import Order, OrderLine, Posting, Quote
from kassa.testing import make_hub
from kassa_lime.sim import LimeSimulator
from kassa_rkeeper.farcards import wire as fw
from kassa_rkeeper.farcards.till import TillCheck, TillLine, card_query_xml, transactions_xml

N = 300
KEY = "bench-key-0123456789abcdef"
CARDS = range(7788000, 7788000 + N)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def timed(fn: Callable[[int], Awaitable[Any]], n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await fn(i)
        out.append(time.perf_counter() - t0)
    return out


def _shifted(fn: Callable[[int], Awaitable[Any]], lo: int) -> Callable[[int], Awaitable[Any]]:
    async def call(i: int) -> Any:
        return await fn(lo + i)

    return call


async def main() -> None:
    config = {"bonus": {"issue_ranges": ["7788000-7789999"], "welcome_bonus": 10**6,
                        "schedule_seconds": 0, "webhook_seconds": 0},
              "farcards": {"port": 0, "tills": [{"name": "bench", "key": KEY}]}}
    lines = [TillLine("soup", "Борщ", 40000, uni=1), TillLine("tea", "Чай", 20000, uni=2)]
    order = Order(site="199990001", number="1/1", total=60000, lines=tuple(
        OrderLine(code=x.code, name=x.name, quantity=Decimal(1), price=x.amount, amount=x.amount)
        for x in lines))
    with tempfile.TemporaryDirectory() as tmp:
        async with make_hub(config, tmp, plugins=[kassa_bonus, kassa_rkeeper]) as hub:
            door = hub.state("rkeeper")["farcards"]
            program = hub.loyalty_programs["bonus"]
            for card in CARDS:  # issue every card first: both paths then only read/post
                await program.identify(str(card))
            site = "199990001"

            async def via_info(i: int) -> None:
                status, _, _ = await door.answer("getcardinfoex", card_query_xml(
                    CARDS[i], 199990001, 1, TillCheck(lines=lines)))
                assert status == 200

            async def direct_info(i: int) -> None:
                guest = await program.identify(str(CARDS[i]))
                await program.quote(order, guest)
                await hub.payments.balance(str(CARDS[i]), site=site, method="bonus")

            async def via_post(i: int) -> None:
                items = [fw.Transaction(card=CARDS[i], kind=k, summa=s, restaurant=199990001,
                                        rk_date=46000, rk_unit=1, rk_check=i + 1)
                         for k, s in ((0, -10000), (2, 2500))]
                status, body, _ = await door.answer("transactionsex", transactions_xml(
                    items, TillCheck(lines=lines)))
                assert status == 200 and b'Result="0"' in body, body

            async def direct_post(i: int) -> None:
                card, key = str(CARDS[i]), f"direct:{i}"
                guest = await program.identify(card)
                await program.quote(order, guest)  # points pay at most the rules' share
                held = await hub.payments.hold(card, 10000, key=key + ":hold", site=site,
                                               method="bonus")
                await hub.payments.capture(held.id, None, key=key + ":capture", site=site,
                                           method="bonus")
                q = Quote(guest_id=guest.id, bonus_earn=2500)
                await hub.journal.run(key, component="bonus", concern="loyalty", kind="commit",
                                      site=site, station=None, request={"k": key},
                                      call=lambda: program.commit(order, q, key), lookup=None,
                                      result_type=Posting)

            for fn in (via_info, direct_info):  # warm up both paths
                await timed(fn, 20)
            results: dict[str, list[float]] = {k: [] for k in
                                               ("via_info", "direct_info", "via_post",
                                                "direct_post")}
            half = N // 2
            paths = {"direct_info": direct_info, "via_info": via_info,
                     "direct_post": direct_post, "via_post": via_post}
            for r in range(2):  # halves in both orders: the box's load and the database's
                lo = r * half   # growth hit both paths alike
                order_ = list(paths) if r == 0 else ["via_info", "direct_info", "via_post",
                                                     "direct_post"]
                for name in order_:
                    results[name] += await timed(_shifted(paths[name], lo), half)
    print(f"FarCards dispatcher vs the bonus components called directly ({N} calls each)")
    for call in ("info", "post"):
        d, v = results[f"direct_{call}"], results[f"via_{call}"]
        name = "getcardinfoex" if call == "info" else "transactionsex"
        print(f"{name:15} direct p50 {pct(d, .5):6.2f} ms p99 {pct(d, .99):6.2f} ms | "
              f"dispatcher p50 {pct(v, .5):6.2f} ms p99 {pct(v, .99):6.2f} ms | "
              f"ratio p50 {statistics.median(v) / statistics.median(d):.2f} "
              f"p99 {pct(v, .99) / pct(d, .99):.2f} (goal <= 1.15)")


N_LIME = 80  # two-card checks per path (the simulator's 50 cards pay 50 roubles each time)
LIME_CARDS = [str(c) for c in range(7799000, 7799050)]


async def lime_leg() -> None:
    sim = LimeSimulator()
    await sim.start()
    lines = [TillLine("42", "Обед", 15000, uni=1), TillLine("43", "Кофе", 5000, uni=2)]
    order = Order(site="199990001", number="1/1", total=20000, lines=tuple(
        OrderLine(code=x.code, name=x.name, quantity=Decimal(1), price=x.amount, amount=x.amount)
        for x in lines))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = {"lime": {**sim.fragment()["lime"], "state_dir": f"{tmp}/lime"},
                      "farcards": {"port": 0, "tills": [{"name": "bench", "key": KEY}],
                                   "routes": [{"cards": ["7799000-7799049"], "program": "lime",
                                               "payment": "lime", "bonus_type": 0}]}}
            async with make_hub(config, tmp, plugins=[kassa_rkeeper, kassa_lime]) as hub:
                door = hub.state("rkeeper")["farcards"]
                program = hub.loyalty_programs["lime"]
                site = "199990001"

                def pair(i: int) -> tuple[str, str]:
                    return LIME_CARDS[(2 * i) % 50], LIME_CARDS[(2 * i + 1) % 50]

                async def via(i: int) -> None:
                    items = [fw.Transaction(card=int(c), kind=0, summa=-5000,
                                            restaurant=199990001, rk_date=46000, rk_unit=2,
                                            rk_check=i + 1) for c in pair(i)]
                    status, body, _ = await door.answer("transactionsex", transactions_xml(
                        items, TillCheck(lines=lines)))
                    assert status == 200 and b'Result="0"' in body, body

                captured: dict[int, list[str]] = {}  # direct check -> its hold ids

                async def direct(i: int) -> None:
                    held = []
                    for c in pair(i):
                        guest = await program.identify(c)
                        await program.quote(order, guest)
                        held.append(await hub.payments.hold(c, 5000, key=f"d:{i}:{c}:hold",
                                                            site=site, method="lime"))
                    await hub.payments.capture_check(order.lines,
                                                     [(h.id, 5000) for h in held],
                                                     key=f"d:{i}:capture", site=site,
                                                     method="lime")
                    captured[i] = [h.id for h in held]

                async def via_cancel(i: int) -> None:
                    items = [fw.Transaction(card=int(c), kind=0, summa=5000,
                                            restaurant=199990001, rk_date=46000, rk_unit=2,
                                            rk_check=i + 1) for c in pair(i)]
                    status, body, _ = await door.answer("transactionsex", transactions_xml(
                        items, TillCheck(lines=lines)))
                    assert status == 200 and b'Result="0"' in body, body

                async def direct_cancel(i: int) -> None:
                    for c in pair(i):  # the door identifies each card of a cancellation too
                        await program.identify(c)
                    await hub.payments.refund_check([(h, 5000) for h in captured[i]],
                                                    key=f"d:{i}:refund", site=site,
                                                    method="lime")

                results: dict[str, list[float]] = {
                    "via": [], "direct": [], "via_cancel": [], "direct_cancel": []}
                half = N_LIME // 2
                for r, names in enumerate((("direct", "via"), ("via", "direct"))):
                    for name in names:
                        fn = via if name == "via" else direct
                        results[name] += await timed(_shifted(fn, r * half + (
                            N_LIME if name == "direct" else 0)), half)
                assert sim.model.put_checks == 2 * N_LIME, "one PutCheck per two-card check"
                # the cancellations: each check's two cards = ONE Lime return check
                for r, names in enumerate((("direct", "via"), ("via", "direct"))):
                    for name in names:
                        fn = via_cancel if name == "via" else direct_cancel
                        results[f"{name}_cancel"] += await timed(_shifted(fn, r * half + (
                            N_LIME if name == "direct" else 0)), half)
                assert sim.model.put_checks == 4 * N_LIME, "one return check per check"
    finally:
        await sim.stop()
    for what, suffix in (("transactionsex", ""), ("cancellation", "_cancel")):
        d, v = results["direct" + suffix], results["via" + suffix]
        print(f"{what}, two Lime cards ({N_LIME} checks each): direct p50 "
              f"{pct(d, .5):6.2f} ms p99 {pct(d, .99):6.2f} ms | dispatcher p50 "
              f"{pct(v, .5):6.2f} ms p99 {pct(v, .99):6.2f} ms | ratio p50 "
              f"{statistics.median(v) / statistics.median(d):.2f} "
              f"p99 {pct(v, .99) / pct(d, .99):.2f}")


async def run_all() -> None:
    await main()
    await lime_leg()


if __name__ == "__main__":
    anyio.run(run_all)
