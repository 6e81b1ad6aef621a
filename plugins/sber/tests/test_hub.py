"""Through ``hub.payments`` with the plugin loaded from kassa.toml: two terminals at one till,
a decline as a Russian ``UserError``, a garbled answer leaves the hub running."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kassa_sber
import pytest
from kassa.errors import RetryLater, UserError
from kassa.model import Health
from kassa.testing import make_hub
from kassa_sber import sim_tape
from kassa_sber.sim import command, emulator_argv
from kassa_sber.terminal import SberTerminal

pytestmark = pytest.mark.anyio


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Any]:
    terminals = [{"name": n, "site": "r1", "station": "till-1", "pilot": emulator_argv(),
                  "work_dir": str(tmp_path / n), "timeout": 20, "suspend": False}
                 for n in ("sber-1", "sber-2")]
    config = {"sber": {"terminals": terminals},
              "sites": [{"code": "r1", "terminals": ["sber-1", "sber-2"]}],
              "stations": [{"code": "till-1", "site": "r1", "terminal": "sber-1"}]}
    async with make_hub(config, tmp_path, plugins=[kassa_sber]) as h:
        yield h


async def test_the_station_picks_its_terminal_and_the_other_is_named(hub: Any,
                                                                    tmp_path: Path) -> None:
    name, t = hub.payments.terminal(site="r1", station="till-1")
    assert name == "sber-1" and isinstance(t, SberTerminal)
    r = await hub.payments.purchase(1000, key="a", site="r1", station="till-1")
    again = await hub.payments.purchase(1000, key="a", site="r1", station="till-1")
    assert r == again and r.approved
    r2 = await hub.payments.purchase(500, key="b", site="r1", terminal="sber-2")
    assert r2.approved
    assert sim_tape.charges(tmp_path / "sber-1") == 1
    assert sim_tape.charges(tmp_path / "sber-2") == 1


async def test_a_decline_is_a_user_error_with_the_banks_text(hub: Any, tmp_path: Path) -> None:
    command(tmp_path / "sber-1", "decline 51 НЕТ СРЕДСТВ")
    with pytest.raises(UserError) as err:
        await hub.payments.purchase(1000, key="d", site="r1", station="till-1")
    text = str(err.value)
    assert text.startswith("НЕТ СРЕДСТВ.") and "банк отказал" in text and "\n" not in text
    with pytest.raises(UserError):  # recorded: the same key gives the same decline
        await hub.payments.purchase(1000, key="d", site="r1", station="till-1")
    assert sim_tape.effects(tmp_path / "sber-1") == 0


async def test_garbage_marks_the_terminal_down_and_the_hub_goes_on(hub: Any,
                                                                   tmp_path: Path) -> None:
    command(tmp_path / "sber-1", "garbage")
    with pytest.raises(RetryLater):
        await hub.payments.purchase(1000, key="g", site="r1", station="till-1")
    _, t = hub.payments.terminal(site="r1", station="till-1")
    assert t.status().health is Health.DOWN and "файл результата e" in t.status().message
    other = await hub.payments.purchase(300, key="o", site="r1", terminal="sber-2")
    assert other.approved, "the other terminal and the hub are fine"
    r = await hub.payments.purchase(1000, key="g", site="r1", station="till-1")
    assert r.approved and sim_tape.charges(tmp_path / "sber-1") == 1
