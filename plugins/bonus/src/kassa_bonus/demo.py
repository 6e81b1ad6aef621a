"""The loyalty engine in ``kassa demo``.

Not a simulator of an external system (the engine is ours): the config fragment that turns it
on for the demo chain. Guests need no seeding before the hub exists: the demo's cards are in
an issue range, so each becomes a guest (with a welcome bonus) at its first swipe.

The demo's r_keeper tills reach this programme through the r_keeper plugin's FarCards door
(``[farcards]``, opened by that plugin's own demo fragment), which sends every card to the
only installed programme: plugins meet only through the LoyaltyProgram / AccountPayment
components. The console's Loyalty screen needs nothing: the bonus API lets the hub's admin
token, which the console holds, read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEMO_CARDS = "7788000-7788999"  # the range the demo's tills hand out


class BonusDemo:
    name = "bonus"

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        # the range, for a FarCards door that routes cards by range (the r_keeper demo's)
        self.endpoints = {"bonus_cards": DEMO_CARDS}

    async def start(self) -> Mapping[str, Any]:
        return {"bonus": {"issue_ranges": [DEMO_CARDS], "welcome_bonus": 30000,
                          "lot_days": 180, "schedule_seconds": 60}}

    async def stop(self) -> None:
        pass
