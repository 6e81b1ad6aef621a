"""The MAX simulator as ``kassa demo`` and tests use it: one group per restaurant with the bot
as admin, an owners' group, and a config fragment that points the hub at the simulator."""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from typing import Any

from kassa_max.sim import MaxSim


class MaxDemoSimulator:
    name = "max"

    def __init__(self, sites: list[str] | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, seed: int | None = None, rate_limits: bool = False) -> None:
        self.sites = list(sites) if sites is not None else ["r1", "r2", "r3"]
        self.sim = MaxSim(MaxSim.DEFAULT_TOKEN if seed is None else seeded_token(seed),
                          host=host, port=port)
        if rate_limits:  # 30 rps per bot (GREEN-FAQ); long polling 2 rps (maxapi docs)
            self.sim.rate_limit(30)
            self.sim.poll_rps = 2
        self.chats: dict[str, int] = {}  # site code (or "owners") -> chat id

    async def start(self) -> Mapping[str, Any]:
        await self.sim.start()
        w = self.sim.world
        owner = w.add_user("Анна", "Владелец")
        w.add_user("Игорь", "Управляющий")
        chats: list[dict[str, Any]] = []
        for code in self.sites:
            group = w.add_group(f"{code} — алерты", admin=True, read_all=True)
            self.chats[code] = group.chat_id
            chats.append({"channel": "max", "chat_id": str(group.chat_id), "site": code,
                          "name": group.title})
        owners = w.add_group("Владельцы", admin=True, read_all=True)
        self.chats["owners"] = owners.chat_id
        chats.append({"channel": "max", "chat_id": str(owners.chat_id), "owners": True,
                      "name": owners.title, "users": [], "admins": [str(owner.user_id)]})
        return {"max": {"token": self.sim.token, "base_url": self.sim.base_url},
                "chats": chats}

    async def stop(self) -> None:
        await self.sim.stop()

    def summary(self) -> dict[str, int]:
        """What each demo chat received (messages the bot sent)."""
        return {code: len(self.sim.received(chat_id)) for code, chat_id in self.chats.items()}


def seeded_token(seed: int) -> str:
    """A token that is the same for the same seed, so a restart keeps the config valid."""
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
