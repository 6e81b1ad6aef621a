"""Telegram client throughput against the simulator, with a bare httpx POST as the baseline.

    uv run python bench/telegram_bench.py [N]

Both sides hit the same in-process simulator (rate limits off) over a real socket, so the
ratio shows what the client layer (token transport, envelope check, error mapping) and the
channel layer (HTML splitting, keyboard, Delivery) cost on top of one HTTP round trip.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from kassa.model import Button, ChatRef, Message
from kassa.secret import Secret
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.client import BotClient
from kassa_telegram.settings import TelegramSettings
from kassa_telegram.sim import TelegramSim

TEXT = "<b>Удаление блюда</b>\nСтол 12 · Иванов\nСтейк рибай ×1 — 2 450 ₽\nПричина: &lt;нет&gt;"


async def timed(n: int, call: Callable[[int], Awaitable[object]]) -> tuple[float, list[float]]:
    for i in range(min(20, n)):  # warm the connection pool
        await call(i)
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        await call(i)
        lat.append(time.perf_counter() - t)
    return n / (time.perf_counter() - t0), lat


def pct(lat: list[float], q: float) -> float:
    return sorted(lat)[min(len(lat) - 1, int(q * len(lat)))] * 1000


async def main(n: int) -> None:
    async with TelegramSim(rate_limits=False) as sim:
        chat = sim.create_chat("bench")
        url = f"{sim.base_url}/bot{sim.token}/sendMessage"
        async with httpx.AsyncClient() as http:
            async def bare(i: int) -> object:
                r = await http.post(url, json={"chat_id": chat.id, "text": TEXT,
                                               "parse_mode": "HTML"})
                return r.json()["result"]
            base_rate, base_lat = await timed(n, bare)
        client = BotClient(Secret(sim.token), sim.base_url)
        client_rate, client_lat = await timed(n, lambda i: client.send_message(
            str(chat.id), TEXT, parse_mode="HTML"))
        await client.aclose()
        channel = TelegramChannel(TelegramSettings(token=Secret(sim.token),
                                                   base_url=sim.base_url))
        ref = ChatRef("telegram", str(chat.id))
        chan_rate, chan_lat = await timed(n, lambda i: channel.send(Message(
            ref, TEXT, buttons=[[Button("Подробнее", data=f"ev:{i}")]])))
        await channel.aclose()
    print(f"{n} sendMessage calls each, sequential, one connection, simulator in-process")
    print(f"{'path':<22}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}")
    for name, rate, lat in (("bare httpx POST", base_rate, base_lat),
                            ("BotClient", client_rate, client_lat),
                            ("TelegramChannel.send", chan_rate, chan_lat)):
        print(f"{name:<22}{rate:>9.0f}{pct(lat, 0.5):>9.2f}{pct(lat, 0.99):>9.2f}"
              f"{rate / base_rate:>9.2f}")
    print(f"(median round trip bare {statistics.median(base_lat) * 1000:.2f} ms)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
