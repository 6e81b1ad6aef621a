"""The bonus plugin's GuestService beyond the core's contract: a replacement that cannot
finish leaves the old card working, and the till's writes are the store's keyed operations."""

from __future__ import annotations

from pathlib import Path

import kassa_bonus
import pytest
from kassa.errors import UserError
from kassa.testing import make_hub
from kassa_bonus.service import service_for

pytestmark = pytest.mark.anyio


async def test_a_replacement_onto_a_taken_card_changes_nothing(tmp_path: Path) -> None:
    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path / "hub",
                        plugins=[kassa_bonus]) as hub:
        program = kassa_bonus.register_loyalty_programs(hub)[0]
        a = await program.issue_card("1001", "k1")
        await program.issue_card("1002", "k2")
        svc = await service_for(hub)
        await svc.ledger.earn("test", "seed", await svc.guests.account_of(a.id, "bonus"), 700)
        with pytest.raises(UserError, match="already issued"):
            await program.replace_card("1001", "1002", "k3")
        still = await program.identify("1001")  # the old card was not retired half-way
        assert still is not None and still.id == a.id
        assert await program.balance(a.id) == 700
        moved = await program.replace_card("1001", "1003", "k4")
        assert moved.id == a.id and await program.balance(a.id) == 700
        cards = {i.value: i.status for i in moved.identifiers if i.kind == "card"}
        assert cards == {"1001": "replaced", "1003": "active"}


async def test_the_questionnaire_key_stands_for_its_request(tmp_path: Path) -> None:
    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path / "hub",
                        plugins=[kassa_bonus]) as hub:
        program = kassa_bonus.register_loyalty_programs(hub)[0]
        g = await program.issue_card("1001", "k1")
        await program.update_guest(g.id, "q1", consent=True, name="Анна")
        with pytest.raises(UserError, match="another request"):
            await program.update_guest(g.id, "q1", consent=True, name="Мария")
        with pytest.raises(UserError, match="no guest"):
            await program.update_guest("nobody", "q2", consent=True, name="Мария")
        found = await program.identify("1001")
        assert found is not None and found.name == "Анна"
