"""The scheduled Z report: at the site's time in its timezone, once per day (a restart or a
second tick never closes twice), only inside its window, and with the POS shift close."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from kassa import hookimpl
from kassa.model import Cashier, Event, EventKindSpec
from kassa.testing import eventually, make_hub
from kassa.testing.fakes import FakeRegister

from tests.fiscal.conftest import Registers, config

pytestmark = pytest.mark.anyio
IVANOVA = Cashier(name="Иванова")


class PosShift:
    @hookimpl
    def register_event_kinds(self) -> list[EventKindSpec]:
        return [EventKindSpec("pos_shift_closed", title={"ru": "Смена POS закрыта",
                                                        "en": "POS shift closed"},
                              closes_shift=True, group="pos")]


def schedule(hub: Any) -> Any:
    return hub.state("kassa.fiscal_ops")["schedule"]


async def z_hub(tmp_path: Any, clock: Any, reg: FakeRegister, **z: Any) -> Any:
    cfg = config(site={"timezone": "Europe/Moscow", "z_report": z})
    return make_hub(cfg, tmp_path, plugins=[Registers(reg), PosShift()], clock=clock)


async def test_the_z_runs_at_the_site_time_once(tmp_path, clock, register):
    async with await z_hub(tmp_path, clock, register, at="23:55") as hub:
        await hub.fiscal.open_shift(IVANOVA, key="open-1", site="s1")
        z = schedule(hub)
        assert await z.tick() == []  # 12:00 in Moscow
        clock.advance(11 * 3600 + 54 * 60)  # 23:54
        assert await z.tick() == []
        clock.advance(60)  # 23:55 Moscow = 20:55 UTC
        assert await z.tick() == ["z:s1:fr1:2026-11-24"]
        clock.advance(60)
        assert await z.tick() == []
        assert register.effects("shift_close") == 1
        await hub.drain()
        (ev,) = await hub.events(site="s1", kinds=["z_report"])
        assert ev.data["key"] == "z:s1:fr1:2026-11-24"

        again = type(z)(hub)  # a restart inside the window: the journal has today's Z
        assert await again.tick() == []
        # the next morning a cashier opens a shift: 23:55 is past, but out of its window
        clock.advance(10 * 3600)
        await hub.fiscal.open_shift(IVANOVA, key="open-2", site="s1")
        assert await z.tick() == [] and await again.tick() == []
        assert register.effects("shift_close") == 1


async def test_a_shift_closed_by_hand_is_left_alone(tmp_path, clock, register):
    async with await z_hub(tmp_path, clock, register, at="12:00") as hub:
        assert await schedule(hub).tick() == []  # never opened: nothing to close
        assert register.effects("shift_close") == 0
        await hub.drain()
        assert await hub.events(site="s1", kinds=["fiscal_failed"]) == []


async def test_a_z_waiting_for_paper_is_retried_with_its_key(tmp_path, clock, register):
    async with await z_hub(tmp_path, clock, register, at="12:00") as hub:
        await hub.fiscal.open_shift(IVANOVA, key="open-1", site="s1")
        register.paper_out = True
        assert await schedule(hub).tick() == []
        register.paper_out = False
        clock.advance(30)
        assert await schedule(hub).tick() == ["z:s1:fr1:2026-11-24"]
        assert register.effects("shift_close") == 1


async def test_the_z_follows_the_pos_shift_close(tmp_path, clock, register):
    async with await z_hub(tmp_path, clock, register, with_shift=True,
                           on=["pos_shift_closed"]) as hub:
        await hub.fiscal.open_shift(IVANOVA, key="open-1", site="s1")
        close = Event.of(site="s1", kind="pos_shift_closed", source_key="pos-1",
                         occurred_at=clock.now())
        await hub.emit(close)
        await hub.emit(close)  # delivered twice: one event, one Z
        await eventually(lambda: register.effects("shift_close") == 1, hub=hub)
        await hub.drain()
        other = Event.of(site="s2", kind="pos_shift_closed", source_key="pos-2",
                         occurred_at=clock.now() + timedelta(seconds=1))
        await hub.emit(other)  # another site's shift: not this register
        await hub.drain()
        assert register.effects("shift_close") == 1


async def test_a_wrong_time_in_config_names_the_key(tmp_path):
    from kassa.config import parse
    from kassa.errors import ConfigError
    from kassa.fiscal_ops.settings import ZReportSettings

    with pytest.raises(ConfigError, match=r"sites\[0\]\.z_report.*expected HH:MM"):
        parse({"sites": [{"code": "s1", "z_report": {"at": "25:00"}}]},
              sections={"sites.z_report": ZReportSettings})


async def test_a_kind_that_closes_no_shift_stops_the_start(tmp_path, clock, register):
    from kassa.errors import ConfigError

    with pytest.raises(ConfigError, match=r"sites\[0\]\.z_report\.on\[0\].*'fiscal_receipt' "
                       r"is not a POS kind that closes a shift"):
        async with await z_hub(tmp_path, clock, register, with_shift=True,
                               on=["fiscal_receipt"]):
            pass
