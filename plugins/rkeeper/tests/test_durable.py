"""Acknowledged means durable: a push whose write failed is written when it is retried, and
the tills' station script queues its events on disk until the hub takes them."""

import re
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import kassa_rkeeper
import pytest
from kassa_rkeeper import sim_station
from kassa_rkeeper.sim import RKeeperSim, free_port
from kassa_rkeeper.source import RKeeperSource

from .conftest import START, Collector, running, settings_for

pytestmark = pytest.mark.anyio

# the script's timings, scaled
FAST: dict[str, Any] = {"retry_min_ms": 100, "retry_max_ms": 400, "tick_ms": 50}


class StoreFailsOnce(Collector):
    """hub.emit whose first write of a kind fails as a broken disk does."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.failed = 0

    async def __call__(self, event):
        if event.kind == self.kind and not self.failed:
            self.failed += 1
            raise sqlite3.OperationalError("disk I/O error")
        return await super().__call__(event)


async def settled(till, within=2.0):
    """Wait until the till has had its answers (they travel back after the event is stored)."""
    with anyio.fail_after(within):
        while till.sent < till.seq:  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def test_an_order_notify_push_whose_write_failed_is_written_on_retry():
    got = StoreFailsOnce("station_started")
    async with running(got=got) as (sim, source, _):
        sim.rest.set_station(15002, True)  # pushed: Situation 1 with the station
        (ev,) = await got.wait_for("station_started")
        assert got.failed == 1 and (ev.station or "").startswith("Касса 2")
        assert source.stats["pushes"] >= 2  # the 500 and the retry


async def test_a_gap_seen_on_a_push_whose_write_failed_still_triggers_the_catch_up():
    got = StoreFailsOnce("station_stopped")
    async with running(got=got, poll_interval=30) as (sim, source, _):  # no routine polling
        sim.rest.set_station(15002, True)
        await got.wait_for("station_started")
        polls = source.stats["polls"]
        sim.notifier.seq += 5  # five notices never arrive; the next one fails to be stored
        sim.rest.set_station(15002, False)
        await got.wait_for("station_stopped")
        with anyio.fail_after(2):
            while source.stats["polls"] == polls:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        assert got.failed == 1


async def test_a_station_event_whose_write_failed_is_written_on_retry():
    got = StoreFailsOnce("employee_login")
    async with running(got=got, sim_kw=FAST) as (sim, _source, _):
        sim.rest.login(12, 15001)
        (ev,) = await got.wait_for("employee_login")
        assert got.failed == 1 and ev.employee
        till = sim.stations.by_ident[15001]
        await settled(till)
        assert till.sent == till.seq == 1 and not till.pending()


async def start_source(sim, got, port, tg):
    source = RKeeperSource("r1", settings_for(sim, listen_port=port))
    scope = anyio.CancelScope()

    async def run():
        with scope:
            await source.run(got)

    tg.start_soon(run)
    with anyio.fail_after(5):
        await source.ready.wait()
    return source, scope


async def test_hub_down_for_a_while_every_station_event_arrives_once_in_order():
    sim = RKeeperSim("r1", rest_code="199990001", start=START, notify_url="", **FAST)
    await sim.start()
    port = free_port()
    sim.subscribe(f"http://127.0.0.1:{port}/rkeeper/notify")
    got = Collector()
    try:
        async with anyio.create_task_group() as tg:
            _, scope = await start_source(sim, got, port, tg)
            sim.rest.login(11, 15001)
            await got.wait_for("employee_login")
            scope.cancel()  # the hub stops
            await anyio.sleep(0.1)
            till = sim.stations.by_ident[15001]
            for waiter in (12, 13):
                sim.rest.login(waiter, 15001)
            sim.rest.logout(12)
            o = sim.rest.open_order(1, 11, 15001, guests=1)
            sim.rest.delete_dish(o, sim.rest.add_draft(o, 1003), author=11)
            await anyio.sleep(1.0)  # the script keeps trying meanwhile
            assert till.posts >= 3 and len(till.pending()) == 4
            till.restart()  # the till itself restarts too: the queue is on its disk
            _, scope = await start_source(sim, got, port, tg)
            await got.wait_for("unsaved_dish_deleted", timeout=5)
            kinds = [e.kind for e in got.events if e.data.get("station_kind")]
            assert kinds == ["employee_login", "employee_login", "employee_login",
                             "employee_logout", "unsaved_dish_deleted"]
            assert got.duplicates == 0 and not got.of("station_events_lost")
            await settled(till)
            assert till.sent == till.seq == 5 and not till.pending()
            tg.cancel_scope.cancel()
    finally:
        await sim.stop()


async def test_a_dropped_station_event_is_reported_as_lost_with_its_range():
    async with running(sim_kw=FAST) as (sim, _source, got):
        till = sim.stations.by_ident[15001]
        sim.rest.login(11, 15001)
        await got.wait_for("employee_login")
        till.drop = 2  # the next two never reach the queue (a crash while writing, a bad disk)
        sim.rest.login(12, 15001)
        sim.rest.login(13, 15001)
        sim.rest.logout(11)
        await got.wait_for("employee_logout")
        (lost,) = got.of("station_events_lost")
        assert (lost.data["first"], lost.data["last"], lost.data["count"]) == (2, 3, 2)
        assert lost.station == "Касса 1" and lost.text == "2-3"
        assert got.kinds().index("station_events_lost") < got.kinds().index("employee_logout")
        # another station numbers on its own: no gap there
        sim.rest.login(14, 15002)
        await got.wait_for("employee_login", 2)
        assert len(got.of("station_events_lost")) == 1


async def test_a_till_numbering_from_one_again_is_no_gap(caplog):
    async with running(sim_kw=FAST) as (sim, _source, got):
        till = sim.stations.by_ident[15001]
        for waiter in (11, 12, 13):
            sim.rest.login(waiter, 15001)
        await got.wait_for("employee_login", 3)
        till.wipe()  # reinstalled: its folder is gone, numbering starts at 1
        sim.rest.logout(11)
        sim.rest.logout(12)
        await got.wait_for("employee_logout", 2)
        assert not got.of("station_events_lost")
        assert "numbers its events from 1 again" in caplog.text


async def test_refused_bodies_are_set_aside_and_the_queue_goes_on(tmp_path):
    assert sim_station.outcome(200) == sim_station.DELIVERED
    assert sim_station.outcome(400) == sim_station.outcome(413) == sim_station.REJECTED
    for status in (403, 404, 500, 503):
        assert sim_station.outcome(status) == sim_station.FAILED
    async with running(sim_kw=FAST, restaurant_code="123456789") as (sim, _source, got):
        till = sim.stations.by_ident[15001]
        sim.rest.login(11, 15001)  # another RestCode: 400, never accepted
        await settled(till, 5)
        assert [p.name for p in (till.folder / "rejected").iterdir()] == ["0000000001.xml"]
        assert not got.events


def test_the_script_and_its_twin_share_their_constants():
    pas = (Path(kassa_rkeeper.__file__).parent / "station" / "kassa_station.pas").read_text()
    consts = dict(re.findall(r"^\s+([A-Z_]+) = (\d+);", pas, re.M))
    for name in ("TIMEOUT_MS", "RETRY_MIN_MS", "RETRY_MAX_MS", "TICK_MS", "FLUSH_MAX"):
        assert int(consts[name]) == getattr(sim_station, name), name
    assert sim_station.SECRET_HEADER in pas
    for answer in ("'delivered'", "'rejected'", "'failed'", "(Status = 400) or (Status = 413)"):
        assert answer in pas
