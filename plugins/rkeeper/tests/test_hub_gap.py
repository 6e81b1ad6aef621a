"""While the hub was down: what r_keeper's order history gives back is read back after the
restart, and the owners hear of the gap (with its time range) for what it cannot give."""

from datetime import datetime, timedelta

import anyio
import kassa_rkeeper
import pytest
from kassa.model import Severity
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, make_hub
from kassa_rkeeper import sim_data as ref
from kassa_rkeeper.sim import RKeeperSim

from .conftest import START

pytestmark = pytest.mark.anyio


async def wait_kinds(hub, *kinds, within=10.0):
    with anyio.move_on_after(within):
        while not set(kinds) <= {e.kind for e in await hub.events(site="r1")}:  # noqa: ASYNC110
            await anyio.sleep(0.05)
    assert set(kinds) <= {e.kind for e in await hub.events(site="r1")}, [
        e.kind for e in await hub.events(site="r1")]
    return await hub.events(site="r1")


@pytest.fixture
async def site():
    sim = RKeeperSim("r1", start=START)
    fragment = dict(await sim.start())
    fragment["sites"][0]["rkeeper"] |= {"poll_interval": 0.2, "hub_gap_after": 0.5}
    fragment["chats"] = [{"channel": "capture", "chat_id": "-1", "owners": True}]
    try:
        yield sim, fragment
    finally:
        await sim.stop()


def hub(fragment, tmp_path, channel):
    return make_hub(fragment, tmp_path, plugins=[kassa_rkeeper,
                                                  ComponentsPlugin(channels=[channel])])


def paid_table(sim):
    o = sim.rest.open_order(1, 11, 15001, guests=2)
    sim.rest.add_draft(o, 1001)
    sim.rest.save(o, 15001)
    sim.rest.print_bill(o, 15001, ref.CASHIER_ID)
    sim.rest.pay(o, 15001, ref.CASHIER_ID, [(1, o.to_pay)])
    return o


async def test_a_precheck_printed_and_paid_while_down_is_read_back(site, tmp_path):
    sim, fragment = site
    channel = CaptureChannel()
    async with hub(fragment, tmp_path, channel) as h:
        sim.rest.login(11, 15001)
        await wait_kinds(h, "employee_login")
        stopped = datetime.now().astimezone()
    o = paid_table(sim)
    sim.restart()  # and the cash server restarted: its notify queue is gone
    await anyio.sleep(0.7)
    channel = CaptureChannel()  # (a channel's update stream closes with its hub)
    async with hub(fragment, tmp_path, channel) as h:
        events = await wait_kinds(h, "hub_gap", "precheck_printed", "check_closed")
        (gap,) = [e for e in events if e.kind == "hub_gap"]
        assert gap.severity == Severity.WARNING and gap.data["shift_closed"] is None
        since = datetime.fromisoformat(gap.data["from"])
        assert abs((since - stopped).total_seconds()) < 2 and gap.data["down_s"] >= 0.5
        assert datetime.fromisoformat(gap.data["until"]) > since
        (closed,) = [e for e in events if e.kind == "check_closed"]
        assert closed.amount == o.to_pay
        # the owners' chat is told by default routing (warning and above)
        assert h.router.targets(gap)
        with anyio.fail_after(5):
            while not any(m.event_id == gap.id for m in channel.sent):  # noqa: ASYNC110
                await anyio.sleep(0.05)


async def test_a_shift_closed_while_down_is_known_its_orders_are_not(site, tmp_path):
    sim, fragment = site
    channel = CaptureChannel()
    async with hub(fragment, tmp_path, channel) as h:
        await wait_kinds(h, "station_started")
        await anyio.sleep(0.3)  # a poll has seen shift 1
    paid_table(sim)
    sim.rest.close_shift(closing_for=timedelta(0))
    sim.restart()
    await anyio.sleep(0.7)
    async with hub(fragment, tmp_path, CaptureChannel()) as h:
        events = await wait_kinds(h, "hub_gap", "shift_closed")
        (gap,) = [e for e in events if e.kind == "hub_gap"]
        assert gap.data["shift_closed"] == "1"
        (shift,) = [e for e in events if e.kind == "shift_closed"]
        assert shift.data["shift"] == "1" and shift.data["next_shift"] == "2"
        # its orders went with the shift: that is what the notice is for
        assert not [e for e in events if e.kind == "check_closed"]


async def test_a_quick_restart_is_no_gap(site, tmp_path):
    _, fragment = site
    fragment["sites"][0]["rkeeper"]["hub_gap_after"] = 60
    for _ in range(2):
        async with hub(fragment, tmp_path, CaptureChannel()) as h:
            await wait_kinds(h, "station_started")
    assert "station_started" in stored_kinds(tmp_path)
    assert "hub_gap" not in stored_kinds(tmp_path)


def stored_kinds(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "kassa.db") as db:
        return [k for (k,) in db.execute("SELECT kind FROM events")]


async def test_a_till_event_lost_while_the_hub_was_down_is_reported_after_it(site, tmp_path):
    sim, fragment = site
    async with hub(fragment, tmp_path, CaptureChannel()) as h:
        sim.rest.login(11, 15001)
        await wait_kinds(h, "employee_login")
    till = sim.stations.by_ident[15001]
    till.drop = 1
    sim.rest.login(12, 15001)  # lost on the till before it was queued
    sim.rest.login(13, 15001)  # queued until the hub is back
    async with hub(fragment, tmp_path, CaptureChannel()) as h:
        await wait_kinds(h, "station_events_lost")

        async def both_logins() -> bool:  # the gap is noticed on the push that carries #3
            return len(await h.events(site="r1", kinds=["employee_login"])) >= 2

        await eventually(both_logins, hub=h)
        events = await h.events(site="r1")
        (lost,) = [e for e in events if e.kind == "station_events_lost"]
        assert (lost.data["first"], lost.data["last"]) == (2, 2)  # numbers kept in the store
        assert len([e for e in events if e.kind == "employee_login"]) == 2
