"""A stateful fake of the Telegram Bot API over real HTTP, for tests, benchmarks and the demo.

``sim = TelegramSim(); await sim.start()`` serves on 127.0.0.1 (a free port) in the running
event loop; point a client at ``sim.base_url`` with ``sim.token``. The world (users, chats,
what each chat received) is driven through Python methods inherited from ``World`` or the
HTTP control API under ``/_sim/``.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from typing import Any

from kassa.serving import AsgiServer

from kassa_telegram.sim.http import SimApp
from kassa_telegram.sim.world import World

__all__ = ["TelegramSim", "TelegramSimulator", "seeded_token"]


class TelegramSim(World):
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        super().__init__(**options)
        self._server = AsgiServer(SimApp(self), host, port)

    @property
    def token(self) -> str:
        return self.bot.token

    @property
    def base_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self.updates.stop()
        await self._server.stop()

    async def __aenter__(self) -> TelegramSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class TelegramSimulator:
    """The ``register_simulators`` component: a bot, one group per site, an owners' group."""

    name = "telegram"

    def __init__(self, sites: list[str], *, rate_limits: bool = True, host: str = "127.0.0.1",
                 port: int = 0, seed: int | None = None) -> None:
        self.sites = sites
        self.sim = TelegramSim(bot_username="kassa_demo_bot", bot_name="Kassa Demo",
                               rate_limits=rate_limits, host=host, port=port,
                               token=None if seed is None else seeded_token(seed))
        self.chats: dict[str, int] = {}  # site code (or "owners") -> chat id

    async def start(self) -> Mapping[str, Any]:
        sim = self.sim
        owner = sim.create_user("Ольга", last_name="Владимирова", username="owner_olga")
        chats: list[dict[str, Any]] = []
        for code in self.sites:
            manager = sim.create_user("Менеджер", last_name=code.upper(),
                                      username=f"manager_{code}")
            chat = sim.create_chat(f"{code} — алерты", members=[owner.id, manager.id])
            self.chats[code] = chat.id
            chats.append({"channel": "telegram", "chat_id": str(chat.id), "site": code,
                          "name": chat.title, "users": [str(owner.id), str(manager.id)],
                          "admins": [str(owner.id)]})
        owners = sim.create_chat("Владельцы", members=[owner.id])
        self.chats["owners"] = owners.id
        chats.append({"channel": "telegram", "chat_id": str(owners.id), "owners": True,
                      "name": owners.title, "users": [str(owner.id)],
                      "admins": [str(owner.id)]})
        await sim.start()
        return {"telegram": {"token": sim.token, "base_url": sim.base_url, "poll_timeout": 10},
                "chats": chats}

    async def stop(self) -> None:
        await self.sim.stop()

    def summary(self) -> dict[str, int]:
        """What each demo chat received (messages, as the chat shows them)."""
        return {code: len(self.sim.received(chat_id)) for code, chat_id in self.chats.items()}


def seeded_token(seed: int, bot_id: int = 6_000_000_001) -> str:
    """A bot token that is the same for the same seed: a restarted simulator keeps the printed
    kassa.toml block valid."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "_-"
    return f"{bot_id}:" + "".join(rng.choice(alphabet) for _ in range(35))
