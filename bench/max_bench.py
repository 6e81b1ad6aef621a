"""MAX channel throughput against the simulator, next to a bare httpx POST baseline.

    uv run python bench/max_bench.py [N]

Both sides send N messages sequentially to one simulated group over a real socket; the ratio
shows what the channel (splitting, keyboard mapping, error classification) costs per message.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx
from kassa.model import Button, ChatRef, Message
from kassa.secret import Secret
from kassa_max.channel import MaxChannel
from kassa_max.settings import MaxSettings
from kassa_max.sim import MaxSim

TEXT = "<b>Удаление блюда</b>\nСтол 12 · Стейк рибай ×1 — 2 450 ₽\nПричина: &lt;не указана&gt;"
BUTTONS = ((Button("Подробнее", data="ev:9f3a:det"), Button("Смена", data="rep:shift:17")),)


def summary(name: str, took: list[float]) -> tuple[float, str]:
    total = sum(took)
    rate = len(took) / total
    q = statistics.quantiles(took, n=100)
    return rate, (f"{name:<12} {rate:8.0f} msg/s   p50 {q[49] * 1000:6.2f} ms   "
                  f"p99 {q[98] * 1000:6.2f} ms")


async def main(n: int) -> None:
    async with MaxSim() as sim:
        group = sim.world.add_group("bench")
        body = {"text": TEXT, "format": "html", "notify": True, "attachments": [
            {"type": "inline_keyboard", "payload": {"buttons": [[
                {"type": "callback", "text": "Подробнее", "payload": "ev:9f3a:det"},
                {"type": "callback", "text": "Смена", "payload": "rep:shift:17"}]]}}]}
        base: list[float] = []
        async with httpx.AsyncClient(base_url=sim.base_url,
                                     headers={"Authorization": sim.token}) as http:
            for _ in range(n):
                t = time.perf_counter()
                r = await http.post("/messages", params={"chat_id": group.chat_id}, json=body)
                r.raise_for_status()
                base.append(time.perf_counter() - t)
        ch = MaxChannel(MaxSettings(token=Secret(sim.token), base_url=sim.base_url))
        message = Message(chat=ChatRef("max", str(group.chat_id)), text=TEXT, buttons=BUTTONS)
        chan: list[float] = []
        try:
            for _ in range(n):
                t = time.perf_counter()
                await ch.send(message)
                chan.append(time.perf_counter() - t)
        finally:
            await ch.aclose()
        assert len(sim.received(group.chat_id)) == 2 * n
    base_rate, base_line = summary("bare httpx", base)
    chan_rate, chan_line = summary("MaxChannel", chan)
    print(f"{n} messages each, client -> simulator over 127.0.0.1")
    print(base_line)
    print(chan_line)
    print(f"channel / baseline throughput: {chan_rate / base_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
