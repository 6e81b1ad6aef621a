"""The loyalty engine in ``kassa demo``.

Not a simulator of an external system (the engine is ours): the config fragment that turns it
on for the demo chain. Guests need no seeding before the hub exists: the demo's cards are in
an issue range, so each becomes a guest (with a welcome bonus) at its first swipe.

The demo's r_keeper tills find FarCards through ``$KASSA_FARCARDS_URL``, the r_keeper
simulator's own setting (as ExtDllHTTP's URL is the till's): the hub's HTTP port is fixed here,
before any simulator starts, and the URL set for the demo's run (put back at stop); plugins
meet only through configuration. The console's Loyalty screen needs nothing: the bonus API lets
the hub's admin token, which the console holds, read.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

FARCARDS_ENV = "KASSA_FARCARDS_URL"
DEMO_CARDS = "7788000-7788999"  # the range the demo's tills hand out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BonusDemo:
    name = "bonus"

    def __init__(self, settings: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/farcards"
        # set when the hook runs, so tills started before or after us all see it
        self._env = {FARCARDS_ENV: self.url}
        self._previous = {k: os.environ.get(k) for k in self._env}
        os.environ.update(self._env)

    async def start(self) -> Mapping[str, Any]:
        return {"api": {"port": self.port},
                "bonus": {"farcards_issue_ranges": [DEMO_CARDS], "welcome_bonus": 30000,
                          "lot_days": 180, "schedule_seconds": 60}}

    async def stop(self) -> None:
        for k, ours in self._env.items():
            if os.environ.get(k) != ours:
                continue  # someone else's value now: leave it
            if self._previous[k] is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(self._previous[k])
