"""Connection monitoring, catch-up, faults, bad credentials and three sites at once."""

import logging

import anyio
import pytest
from kassa_rkeeper import sim_data as ref

from .conftest import running

pytestmark = pytest.mark.anyio


def open_table(sim, table=1, dishes=(1001, 1004)):
    o = sim.rest.open_order(table, 11, 15001, guests=2)
    for d in dishes:
        sim.rest.add_draft(o, d)
    sim.rest.save(o, 15001)
    return o


async def test_outage_one_offline_then_online_with_catch_up():
    async with running(offline_after=0.6, timeout=0.2, poll_interval=0.1) as (sim, source, got):
        await anyio.sleep(0.3)
        sim.link_down()
        # meanwhile the restaurant keeps working; nothing reaches Kassa
        o = open_table(sim)
        sim.rest.print_bill(o, 15001, ref.CASHIER_ID)
        sim.rest.pay(o, 15001, ref.CASHIER_ID, [(1, o.to_pay)])
        await got.wait_for("site_offline", timeout=5)
        await anyio.sleep(0.6)
        assert len(got.of("site_offline")) == 1 and not got.of("check_closed")
        assert source.health()["online"] is False
        sim.link_up()
        (online,) = await got.wait_for("site_online", timeout=5)
        assert online.data["outage_s"] >= 0.6
        (closed,) = await got.wait_for("check_closed", timeout=5)
        assert closed.amount == o.to_pay
        assert got.kinds().index("site_online") < got.kinds().index("check_closed")
        assert source.health()["online"] is True


async def test_one_lost_request_raises_no_alarm():
    async with running(offline_after=1.0, poll_interval=0.1) as (sim, _source, got):
        sim.malformed(2)
        await anyio.sleep(0.6)
        assert not got.of("site_offline")
        open_table(sim)
        await got.wait_for("order_saved")


async def test_restart_drops_queue_and_gap_triggers_catch_up():
    async with running(poll_interval=30) as (sim, _source, got):  # no routine polling
        await anyio.sleep(0.2)
        sim.notifier.link_up = False
        o = open_table(sim, dishes=(1002,))
        sim.restart()  # the queued OrderChanged notices are lost
        sim.notifier.link_up = True
        sim.notifier.wake.set()
        (saved,) = await got.wait_for("order_saved", timeout=5)
        assert saved.lines[0].name == "Запеченный ролл Нежный с лососем"
        assert any(e.station == "server" for e in got.of("station_started"))
        del o


async def test_gap_in_seqnumber_triggers_poll():
    async with running(poll_interval=30) as (sim, source, got):
        sim.rest.set_station(15002, True)
        await got.wait_for("station_started")
        polls = source.stats["polls"]
        sim.notifier.seq += 5  # five notices never arrive
        sim.rest.set_station(15002, False)
        await got.wait_for("station_stopped")
        await anyio.sleep(0.2)
        assert source.stats["polls"] > polls


async def test_slow_answers_still_deliver():
    async with running(timeout=2.0) as (sim, _source, got):
        sim.slow(0.3)
        open_table(sim)
        await got.wait_for("order_saved", timeout=5)


async def test_wrong_password_one_clear_message_and_keeps_running(caplog):
    caplog.set_level(logging.INFO)
    from kassa.secret import Secret

    async with running(password=Secret("wrong-pass"), poll_interval=0.05) as (sim, source, got):
        await anyio.sleep(0.4)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "r1" in errors[0].getMessage()
        assert "wrong-pass" not in caplog.text
        assert source.health()["online"] is False and source.stats["polls"] > 3
        sim.rest.login(12, 15001)  # pushes still work
        await got.wait_for("employee_login")
        assert not got.of("site_offline")


async def test_clock_skew_keeps_server_time():
    async with running() as (sim, source, got):
        sim.clock.skew = -__import__("datetime").timedelta(hours=3)
        sim.rest.login(13, 15001)
        (ev,) = await got.wait_for("employee_login")
        assert ev.occurred_at.hour == 9  # START is 12:00; the server says 09:00
        await anyio.sleep(0.3)
        assert source.health()["clock_skew_s"] < 0


async def test_three_sites_at_once_do_not_mix():
    async with running("r1", seed=1) as (s1, _src1, got1), \
            running("r2", seed=2) as (s2, _src2, got2), \
            running("r3", seed=3) as (s3, _src3, got3):
        s2.link_down()
        for sim in (s1, s3):
            open_table(sim)
        await got1.wait_for("order_saved")
        await got3.wait_for("order_saved")
        assert not got2.of("order_saved")
        assert {e.site for e in got1.events} == {"r1"} and {e.site for e in got3.events} == {"r3"}
        s2.link_up()
