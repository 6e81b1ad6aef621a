"""Through the real hub: config from the simulator's fragment, sources from the hooks,
events persisted (deduplicated by the hub), reports computed from the event log."""

from datetime import timedelta, timezone

import anyio
import click
import kassa_rkeeper
import pytest
from kassa.config import parse
from kassa.errors import ConfigError
from kassa.model import Period
from kassa.testing import make_hub
from kassa_rkeeper.settings import RKeeperSettings
from kassa_rkeeper.sim import RKeeperSim, simulators
from kassa_rkeeper.sim_life import every_fact, read_back

from .conftest import START

pytestmark = pytest.mark.anyio


class Ctx:
    def __init__(self, hub, locale="ru"):
        self.hub = hub
        self.locale = locale


async def test_through_the_hub_with_reports(tmp_path):
    sim = RKeeperSim("r1", start=START)
    fragment = await sim.start()
    fragment["sites"][0]["rkeeper"]["poll_interval"] = 0.2
    try:
        async with make_hub(fragment, tmp_path, plugins=[kassa_rkeeper]) as hub:
            for step in every_fact(sim.rest):
                await anyio.sleep(0.05)
                await read_back(step)
            with anyio.fail_after(10):
                while not await hub.events(site="r1", kinds=["shift_closed"]):  # noqa: ASYNC110
                    await anyio.sleep(0.05)
            # a till's event posted before the listener was up waits out the script's backoff
            with anyio.move_on_after(5):
                while len({e.kind for e in await hub.events(site="r1")}) < 24:  # noqa: ASYNC110
                    await anyio.sleep(0.05)
            await anyio.sleep(0.3)
            events = await hub.events(site="r1")
            assert len({e.kind for e in events}) >= 24
            period = Period(START.replace(tzinfo=timezone(timedelta(hours=3))) - timedelta(days=1),
                            START.replace(tzinfo=timezone(timedelta(hours=3))) + timedelta(days=1))
            reports = {r.name: r for r in kassa_rkeeper.register_reports()}
            ctx = Ctx(hub)
            balance = await reports["system_balance"].build(ctx, "r1", period)
            rows = {r[0]: r for r in balance.rows}
            checks = [e for e in events if e.kind == "check_closed"]
            # A's first check was annulled and C's deleted: two checks remain
            assert rows["Выручка"][1] == 2
            gone = {e.source_key.split(":")[1] for e in events
                    if e.kind in ("check_deleted", "check_annulled")}
            kept = [e for e in checks if e.source_key.split(":")[1] not in gone]
            assert len(kept) == 2  # (B and C close in one poll: their order is the guids')
            assert all(e.amount is not None for e in kept)
            assert rows["Выручка"][2] == sum(e.amount or 0 for e in kept)
            assert rows["Удалено чеков"][1] == 2
            dishes = await reports["dish_consumption"].build(ctx, "r1", period)
            assert dishes.rows and dishes.totals[2] == sum(r[2] for r in dishes.rows)
            hourly = await reports["sales_by_hour"].build(Ctx(hub, "en"), "r1", period)
            assert hourly.chart is not None and hourly.rows[0][0] == "12:00"
            assert hourly.title == "Sales by hour"
            discounts = await reports["discounts"].build(ctx, "r1", period)
            assert {r[0] for r in discounts.rows} >= {"Бонусная карта 5%", "Скидка 10%"}
            deletions = await reports["deletions"].build(ctx, "r1", period)
            by_what = {r[1] for r in deletions.rows}
            assert {"Удаление сохранённого блюда", "Удаление чека", "Отмена пречека",
                    "Аннулирование чека", "Выход из заказа без сохранения"} <= by_what
            shift = await reports["system_balance"].build(ctx, "r1", Period(
                period.start, period.end, "shift:2"))
            assert {r[0]: r for r in shift.rows}["Выручка"][1] == 0
    finally:
        await sim.stop()


def test_settings_section_parses_and_names_errors():
    sections = kassa_rkeeper.register_settings()
    cfg = parse({"sites": [{"code": "r1", "rkeeper": {"host": "10.0.0.5", "user": "kassa",
                                                      "password": "${RK_PASS}",
                                                      "situations": {"40": "check_deleted"}}}]},
                sections=sections, env={"RK_PASS": "s3cret"})
    rk = cfg.sites[0].plugins["rkeeper"]
    assert isinstance(rk, RKeeperSettings) and rk.password.reveal() == "s3cret"
    assert "s3cret" not in repr(rk) and rk.offline_after == 60.0
    with pytest.raises(ConfigError) as err:
        parse({"sites": [{"code": "r1", "rkeeper": {"host": "h", "pasword": "x"}}]},
              sections=sections)
    assert "sites[0].rkeeper.pasword" in str(err.value) and "password" in str(err.value)


def test_simulators_hook_and_cli():
    class Demo:
        sites = ["r1", "r2", "r3"]
        speed = 60.0
        seed = 7
    every = kassa_rkeeper.register_simulators(Demo())
    assert [s.name for s in every if not hasattr(s, "code")] == ["farcards"]  # the demo's door
    sims = [s for s in every if hasattr(s, "code")]
    assert [s.code for s in sims] == ["r1", "r2", "r3"]
    assert len({s.rest.code for s in sims}) == 3
    assert len(simulators(None)) == 3
    group = click.Group("kassa")
    kassa_rkeeper.register_cli_commands(group)
    rkeeper = group.commands["rkeeper"]
    assert isinstance(rkeeper, click.Group) and "simulate" in rkeeper.commands


async def test_demo_simulators_start_and_stop_cleanly():
    sims = simulators(type("S", (), {"sites": 2, "speed": 600.0, "seed": 3})())
    fragments = [await s.start() for s in sims]
    assert {f["sites"][0]["rkeeper"]["port"] for f in fragments} != {0}
    await anyio.sleep(0.3)
    with anyio.CancelScope(shield=True):  # as kassa demo stops them
        for s in sims:
            await s.stop()
