"""The FarCards door in ``kassa demo``: not a simulator of an external system (the door is
ours) but the config fragment that opens it for the demo chain's tills.

Its port and a till key are fixed when the hook runs, and ``endpoints`` publishes
``farcards_url`` with the key in its path (``http://127.0.0.1:<port>/farcards/<key>``, as a
real till's ExtDllHTTP ini names each call's script); the demo gathers every simulator's
endpoints before any starts, and the simulated tills (``RKeeperSim``) read it.

Routes come from the same place: a loyalty plugin's demo publishes its card range as
``<programme>_cards`` (the bonus plugin ``bonus_cards``, Lime ``lime_cards``), and each
becomes a ``[[farcards.routes]]`` entry to that programme (its payment method is the one
named like it), so bonus and Lime cards are served at the same till. A programme may also
publish ``<programme>_bonus_type`` (r_keeper's bonus type its cards report; the route's
default is 1): Lime publishes 0, so the till accrues no Kind 2 bonus on a Lime card. With
none published, no route: every card goes to the only installed programme, as before.
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
        self.settings = settings
        self.port = free_port()
        self.key = secrets.token_urlsafe(24)  # the demo tills' key: fresh every run
        self.url = f"http://127.0.0.1:{self.port}/farcards/{self.key}"
        self.endpoints = {"farcards_url": self.url}

    def routes(self) -> list[dict[str, Any]]:
        """One route per published ``<programme>_cards`` range (read at start: the demo
        gathers every endpoint before any simulator starts)."""
        published = dict(getattr(self.settings, "endpoints", None) or {})
        routes = []
        for name, cards in sorted(published.items()):
            if not (name.endswith("_cards") and isinstance(cards, str)):
                continue
            program = name.removesuffix("_cards")
            route: dict[str, Any] = {"cards": [cards], "program": program}
            bonus_type = str(published.get(f"{program}_bonus_type", "")).strip()
            if bonus_type.isdigit():
                route["bonus_type"] = int(bonus_type)
            routes.append(route)
        return routes

    async def start(self) -> Mapping[str, Any]:
        door: dict[str, Any] = {"host": "127.0.0.1", "port": self.port,
                                "allow": ["127.0.0.1/32"],
                                "tills": [{"name": "demo-tills", "key": self.key}]}
        routes = self.routes()
        if routes:
            door["routes"] = routes
        return {"farcards": door}

    async def stop(self) -> None:
        pass
