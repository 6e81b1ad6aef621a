"""The message system in a real hub: rules from ``[pos] messages`` in the config, draw codes
in the hub's store through the plugin's migration, unique across a hub restart."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import kassa_pos
import pytest
from kassa.errors import ConfigError
from kassa.testing import make_hub
from kassa_pos.engine import messages
from kassa_pos.engine.messages import MessageSystem, TillEvent, TillEventKind

pytestmark = pytest.mark.anyio

RULES: list[dict[str, Any]] = [{"name": "draw", "on": ["receipt"], "when": {"total_from": 50000},
          "receipt": "Код розыгрыша: {draw_code}"},
         {"name": "bag", "on": ["line_added"], "once": True, "when": {"lines_over": 0},
          "prompt": "Предложите пакет"}]


def config(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sites": [{"code": "s1", "name": "Магазин"}],
            "pos": {"store": "s1", "tills": [{"name": "till1"}], "messages": rules}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def receipt(check: str) -> TillEvent:
    return TillEvent(kind=TillEventKind.RECEIPT, check_id=check, at=datetime(2026, 12, 7, 12),
                     total=60000)


async def test_draw_codes_in_the_hubs_store_survive_a_restart(tmp_path: Path) -> None:
    async with make_hub(config(RULES), tmp_path, plugins=[kassa_pos]) as hub:
        ms = MessageSystem.of(hub)
        first = [(await ms.evaluate(receipt(f"c{n}")))[0].receipt for n in range(10)]
    async with make_hub(config(RULES), tmp_path, plugins=[kassa_pos]) as hub:
        ms = MessageSystem.of(hub)
        later = [(await ms.evaluate(receipt(f"d{n}")))[0].receipt for n in range(10)]
        reprint = (await ms.evaluate(receipt("c3")))[0].receipt
    assert len(set(first + later)) == 20
    assert reprint == first[3]


async def test_a_broken_rule_in_the_config_names_rule_and_key(tmp_path: Path) -> None:
    broken = [{**RULES[1], "when": {"lines_over": "пять"}}]
    async with make_hub(config(broken), tmp_path, plugins=[kassa_pos]) as hub:
        with pytest.raises(ConfigError) as err:
            MessageSystem.of(hub)
    assert err.value.path == "pos.messages[0].when.lines_over"
    assert "«bag»" in str(err.value)


async def test_the_table_agrees_with_the_migration(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with make_hub(config([]), tmp_path, plugins=[kassa_pos]) as hub:
        async with hub.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c), messages.metadata))
    ours = [d for d in diff if "pos_draw_code" in repr(d)
            and not repr(d).startswith("('remove_table'")]
    assert ours == []
