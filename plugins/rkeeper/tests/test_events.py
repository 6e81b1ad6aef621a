"""Every event kind end to end: simulator -> push/poll -> source -> emit, with the details."""

import logging

import anyio
import httpx
import pytest
from kassa_rkeeper import mapping
from kassa_rkeeper.kinds import FAULTS, KINDS, Kind
from kassa_rkeeper.sim_life import every_fact, read_back

from .conftest import running

pytestmark = pytest.mark.anyio

FROM_SIM = set(Kind) - FAULTS
DECLARED = {spec.name: spec.severity for spec in KINDS}


async def run_script(sim, got):
    for step in every_fact(sim.rest):
        await anyio.sleep(0.03)
        await read_back(step)
    await got.wait_for("shift_closed")
    await anyio.sleep(0.3)


@pytest.fixture(scope="module")
async def day():
    async with running() as (sim, source, got):
        await run_script(sim, got)
        yield sim, source, got


async def test_every_kind_arrives(day):
    _, _, got = day
    assert FROM_SIM <= set(got.kinds())
    for e in got.events:  # default severities as the plugin declares them
        assert e.severity == DECLARED[e.kind]
        assert e.occurred_at.tzinfo is not None


async def test_saved_dish_deletion_has_reason_author_and_line(day):
    _, _, got = day
    (ev,) = got.of("saved_dish_deleted")
    # the reason is the Void's own refItem; GetOrder's Void names no confirming manager
    # (XSD voidItem: Author, dateTime, quantity, amount, openName), so none is claimed
    assert (ev.employee, ev.manager, ev.reason) == ("Иванова Анна", None, "Отказ гостя")
    assert ev.lines[0].name == "Запеченный ролл с курицей" and ev.amount == 29000
    assert ev.table == "Стол 1" and ev.order and ev.station == "Касса 1"


async def test_check_closed_carries_what_reports_need(day):
    _, _, got = day
    closed = got.of("check_closed")
    assert len(closed) == 4  # A twice (annulled, then paid again), B and C
    first = closed[0]
    pays = first.data["payments"]
    assert {p["type"] for p in pays} == {"cash", "card"} and pays[0]["amount"] == 50000
    assert sum(p["amount"] for p in pays) == first.amount
    assert first.data["guests"] == 2 and first.data["check"] == "1"
    assert first.data["shift"] == "1" and first.data["discounts"][0]["loyalty"] is True
    assert first.lines and all(line.amount for line in first.lines)


async def test_deletions_annulment_and_precheck(day):
    _, _, got = day
    (annulled,) = got.of("check_annulled")
    (deleted,) = got.of("check_deleted")
    assert annulled.reason == "Возврат гостю" and deleted.reason == "Ошибка кассира"
    assert deleted.manager == "Кузнецов Игорь"
    (cancelled,) = got.of("precheck_cancelled")
    assert cancelled.reason == "Гость ушел" and cancelled.manager == "Кузнецов Игорь"
    assert len(got.of("precheck_printed")) == 2


async def test_station_script_events(day):
    _, _, got = day
    (unsaved,) = got.of("unsaved_dish_deleted")
    assert unsaved.lines[0].name == "Запеченный ролл с угрем" and unsaved.employee == "Иванова Анна"
    (quit_,) = got.of("order_quit_unsaved")
    assert quit_.lines[0].name == "Пиво Асахи"
    tickets = got.of("service_print")
    kitchen = next(t for t in tickets if t.data["printer"] == "Кухня")
    assert "Запеченный ролл Нежный с лососем" in kitchen.text
    assert kitchen.data["category"] == "Банкет"
    assert {e.employee for e in got.of("employee_login")} == {"Иванова Анна"}
    assert got.of("employee_logout")


async def test_moves_quantities_discounts_shift(day):
    _, _, got = day
    (out,) = got.of("dish_moved_out")
    (in_,) = got.of("dish_moved_in")
    assert out.lines[0].name == in_.lines[0].name == "Ролл Бонито"
    assert out.data["other_order"] == in_.order
    (q,) = got.of("quantity_changed")
    assert (q.data["before"], q.data["after"]) == ("1.000", "3.000")
    assert [e.data["discount"] for e in got.of("discount_added")] == ["Скидка 10%"]
    assert len(got.of("loyalty_discount_added")) == 2 and got.of("loyalty_discount_removed")
    (shift,) = got.of("shift_closed")
    assert shift.data["shift"] == "1"
    assert got.of("intent_receipt_printed")[0].amount > 0


async def test_source_keys_stable_across_reread():
    async with running() as (sim, source, got):
        steps = every_fact(sim.rest)
        for _ in range(16):  # up to the annulled check; orders still on the server
            step = next(steps)
            await anyio.sleep(0.03)
            await read_back(step)
        await got.wait_for("check_annulled")
        await anyio.sleep(0.3)  # let the last pushes land
        before = len(got.events)
        assert before > 20
        source.tracker.versions.clear()  # as if Kassa restarted and read everything again
        source._emitted.clear()
        source._full = True
        await source.poll_once()
        assert [e.kind for e in got.events[before:]] == [] and got.duplicates >= 10


async def test_unknown_situation_kept_once_logged_and_bad_push_refused(caplog):
    caplog.set_level(logging.WARNING)
    async with running() as (sim, source, got):
        url = f"http://127.0.0.1:{source.listen_port}/rkeeper/notify"
        body = ('<a RestCode="{rc}" DateTime="2026-03-14T12:00:00" Situation="77" seqnumber="{n}" '
                'guid="{{G-{n}}}" name="Mystery"><Station id="15001" name="Касса 1"/></a>')
        async with httpx.AsyncClient() as http:
            for n in (50, 51, 51):
                r = await http.post(url, content=body.format(rc=sim.rest.code, n=n).encode())
                assert r.status_code == 200
            bad = await http.post(url, content=b"<a RestCode='1' Situation='3'")
            assert bad.status_code == 400 and b"not well-formed" in bad.content
            other = await http.post(url, content=body.format(rc="123", n=52).encode())
            assert other.status_code == 400
        unknown = got.of(mapping.UNKNOWN_KIND)
        assert len(unknown) == 2 and "Mystery" in (unknown[0].text or "")
        assert sum("Situation 77" in r.message for r in caplog.records) == 1


async def test_situation_table_extendable_from_config():
    async with running(situations={"77": "check_deleted", "78": "ShiftClosed"}) as (sim, source,
                                                                                   got):
        url = f"http://127.0.0.1:{source.listen_port}/rkeeper/notify"
        async with httpx.AsyncClient() as http:
            await http.post(url, content=(f'<a RestCode="{sim.rest.code}" Situation="77" '
                                          'seqnumber="2" guid="{X}" name="Custom"/>').encode())
        assert got.of("check_deleted")[0].data["situation"] == "77"
