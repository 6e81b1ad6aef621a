"""A real hub with the FarCards door, the bonus programme on one card range and a second
(test) programme on another: what the FarCards tests and the bench share.

The bonus plugin is loaded as a plugin (through the hub's hooks), never imported by the
r_keeper code; the second programme is the core's ``FakeLoyalty`` + ``FakeAccount``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from kassa import hookimpl
from kassa.testing import FakeAccount, FakeLoyalty, make_hub

KEY = "till-key-0123456789abcdef"
BONUS_CARDS = "7788000-7788999"  # the bonus programme's range (issued at the first swipe)
FAKE_CARD, FAKE_CARD2 = 5500001, 5500002  # the test programme's cards ("55*")
BLOCKED = 5500009  # a card the test programme refuses


class SecondProgramme:
    """A plugin contributing the test programme and its account payment."""

    def __init__(self) -> None:
        self.loyalty = FakeLoyalty("club", guests={str(FAKE_CARD): ("club-1", 100000),
                                                   str(FAKE_CARD2): ("club-2", 100000)},
                                   blocked={str(BLOCKED): "утеряна"})
        self.account = FakeAccount("club-wallet", balances={str(FAKE_CARD): 50000,
                                                            str(FAKE_CARD2): 50000})

    @hookimpl
    def register_loyalty_programs(self, hub: Any) -> list[Any]:
        return [self.loyalty]

    @hookimpl
    def register_payment_methods(self, hub: Any) -> list[Any]:
        return [self.account]


def config(**farcards: Any) -> dict[str, Any]:
    door = {"port": 0, "tills": [{"name": "cash1", "key": KEY}],
            "routes": [{"cards": [BONUS_CARDS], "program": "bonus", "payment": "bonus"},
                       {"cards": ["55*"], "program": "club", "payment": "club-wallet",
                        "limit_by_quote": False}]} | farcards
    return {"bonus": {"issue_ranges": [BONUS_CARDS], "welcome_bonus": 30000,
                      "schedule_seconds": 0, "webhook_seconds": 0},
            "farcards": door}


@asynccontextmanager
async def farcards_hub(tmp_path: Path | str, **farcards: Any
                       ) -> AsyncIterator[tuple[Any, str, SecondProgramme]]:
    """(hub, the door's base URL, the second programme)."""
    import kassa_bonus
    import kassa_rkeeper

    second = SecondProgramme()
    async with make_hub(config(**farcards), tmp_path,
                        plugins=[kassa_bonus, kassa_rkeeper, second]) as hub:
        door = hub.state("rkeeper")["farcards"]
        with anyio.fail_after(10):
            await door.listening.wait()
        yield hub, f"http://127.0.0.1:{door.port}/farcards", second
