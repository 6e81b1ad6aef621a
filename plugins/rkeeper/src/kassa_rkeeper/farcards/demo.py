"""The FarCards door in ``kassa demo``: not a simulator of an external system (the door is
ours) but the config fragment that opens it for the demo chain's tills.

Its port and a till key are fixed when the hook runs, and ``endpoints`` publishes
``farcards_url`` with the key in its path (``http://127.0.0.1:<port>/farcards/<key>``, as a
real till's ExtDllHTTP ini names each call's script); the demo gathers every simulator's
endpoints before any starts, and the simulated tills (``RKeeperSim``) read it. No route is
configured: every card goes to the only installed loyalty programme, whose own rules say
which cards it knows (the bonus plugin issues the demo's card range at the first swipe).
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Mapping
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FarCardsDemo:
    name = "farcards"

    def __init__(self, settings: Any) -> None:
        self.port = free_port()
        self.key = secrets.token_urlsafe(24)  # the demo tills' key: fresh every run
        self.url = f"http://127.0.0.1:{self.port}/farcards/{self.key}"
        self.endpoints = {"farcards_url": self.url}

    async def start(self) -> Mapping[str, Any]:
        return {"farcards": {"host": "127.0.0.1", "port": self.port, "allow": ["127.0.0.1/32"],
                             "tills": [{"name": "demo-tills", "key": self.key}]}}

    async def stop(self) -> None:
        pass
