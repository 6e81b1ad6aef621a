"""The loyalty engine in ``kassa demo``.

Not a simulator of an external system (the engine is ours): the config fragment that turns it
on for the demo chain. Guests need no seeding before the hub exists: the demo's cards are in
an issue range, so each becomes a guest (with a welcome bonus) at its first swipe.

The demo's r_keeper tills find FarCards through configuration: the door's port and a till key
are fixed here, when the hook runs, and ``endpoints`` publishes ``farcards_url`` with the key
in its path (``http://127.0.0.1:<port>/farcards/<key>``, as a real till's ExtDllHTTP ini
would name the call's script); the demo gathers every
simulator's endpoints into its settings before any starts (``kassa.demo.publish_endpoints``),
and the r_keeper simulator reads ``farcards_url`` from them (as ExtDllHTTP's URL is the till's
setting). Plugins meet only there. The console's Loyalty screen needs nothing: the bonus API
lets the hub's admin token, which the console holds, read.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Mapping
from typing import Any

DEMO_CARDS = "7788000-7788999"  # the range the demo's tills hand out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BonusDemo:
    name = "bonus"

    def __init__(self, settings: Any) -> None:
        self.port = free_port()  # the till door's, not the admin API's
        self.key = secrets.token_urlsafe(24)  # the demo tills' key: fresh every run
        self.url = f"http://127.0.0.1:{self.port}/farcards/{self.key}"
        self.endpoints = {"farcards_url": self.url}  # what the demo's tills are pointed at

    async def start(self) -> Mapping[str, Any]:
        door = {"host": "127.0.0.1", "port": self.port, "allow": ["127.0.0.1/32"],
                "tills": [{"name": "demo-tills", "key": self.key}]}
        return {"bonus": {"farcards": door, "farcards_issue_ranges": [DEMO_CARDS],
                          "welcome_bonus": 30000, "lot_days": 180, "schedule_seconds": 60}}

    async def stop(self) -> None:
        pass
