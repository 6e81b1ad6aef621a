"""Lime and the bonus programme at one r_keeper till: one hub, the FarCards door routing by
card range (7788xxx -> bonus, 7799xxx -> Lime), the Lime simulator over a real socket and
the till's FarCards client speaking only the wire format.

Lime settles a whole check at once (the core's ``CheckCapture``): two Lime cards in one
check are ONE PutCheck, also after a crash between the capture and its journal record, and
a cancelled check (the core's ``CheckRefund``) is ONE Lime return check for all its cards,
also after a lost answer or a SIGKILL between the return and its journal record; a partial
cancellation gives back what the till cancels."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from kassa.testing import make_hub
from kassa_lime.sim import LimeSimulator
from kassa_rkeeper.farcards import wire as fw
from kassa_rkeeper.farcards.dispatch import check_key, refund_key
from kassa_rkeeper.farcards.till import FarCardsTill, TillCheck, TillError, TillLine

pytestmark = pytest.mark.anyio
KEY = "till-key-0123456789abcdef"
BONUS_CARDS, LIME_CARDS = "7788000-7788999", "7799000-7799049"
LIME_A, LIME_B = 7799000, 7799001  # the simulator's "Гость 1" and "Гость 2"
REST = 199990001


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(sim: LimeSimulator, tmp_path: Path) -> dict[str, Any]:
    return {"bonus": {"issue_ranges": [BONUS_CARDS], "welcome_bonus": 30000,
                      "schedule_seconds": 0, "webhook_seconds": 0},
            "lime": {**sim.fragment()["lime"], "state_dir": str(tmp_path / "lime"),
                     "retry_seconds": 0.2},
            "farcards": {"port": 0, "tills": [{"name": "cash1", "key": KEY}],
                         "routes": [{"cards": [BONUS_CARDS], "program": "bonus",
                                     "payment": "bonus"},
                                    {"cards": [LIME_CARDS], "program": "lime",
                                     "payment": "lime", "bonus_type": 0}]}}


@asynccontextmanager
async def till_hub(sim: LimeSimulator, tmp_path: Path
                   ) -> AsyncIterator[tuple[Any, FarCardsTill]]:
    import kassa_bonus
    import kassa_lime
    import kassa_rkeeper

    async with make_hub(config(sim, tmp_path), tmp_path,
                        plugins=[kassa_bonus, kassa_rkeeper, kassa_lime]) as hub:
        door = hub.state("rkeeper")["farcards"]
        with anyio.fail_after(20):
            await door.listening.wait()
        url = f"http://127.0.0.1:{door.port}/farcards"
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=REST) as till:
            yield hub, till


@pytest.fixture
async def lime_sim() -> AsyncIterator[LimeSimulator]:
    sim = LimeSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def lunch(*cards: int) -> TillCheck:
    """400 roubles: Обед 150, Кофе 2 x 100, Прокат 50 (codes are the simulator's goods)."""
    return TillCheck(restaurant=str(REST), cards=[str(c) for c in cards],
                     lines=[TillLine("42", "Обед", 15000, uni=1),
                            TillLine("43", "Кофе", 20000, quantity=Decimal(2), uni=2),
                            TillLine("44", "Прокат", 5000, uni=3)])


def deposit(sim: LimeSimulator, card: int) -> int:
    found = sim.model.card_by_uid(str(card))
    assert found is not None
    return next(r.amount for r in found.rights.values() if r.name == "Депозит")


def two_cards(till: FarCardsTill, check_no: int, *, cancel: bool = False
              ) -> list[fw.Transaction]:
    """Гость 1 pays 200 roubles, Гость 2 150, cash the other 50."""
    return till.items(LIME_A, check_no, pay=20000, cancel=cancel) + \
        till.items(LIME_B, check_no, pay=15000, cancel=cancel)


def ref(till: FarCardsTill, check_no: int) -> str:
    """The check's reference in journal keys, as the door builds it."""
    return fw.Batch(items=tuple(till.items(LIME_A, check_no, pay=1)), order=None).check_ref


async def wait_until(cond: Any, what: str, seconds: float = 20.0) -> None:
    with anyio.fail_after(seconds):
        while not cond():  # noqa: ASYNC110 (polling the simulator's counters)
            await anyio.sleep(0.05)


async def test_bonus_and_lime_cards_at_the_same_till_routed_by_range(lime_sim, tmp_path):
    async with till_hub(lime_sim, tmp_path) as (_hub, till):
        bonus = await till.card_info(7788010)
        assert bonus.result == 0 and bonus.summa == 30000  # issued: the welcome bonus
        lime = await till.card_info(LIME_A, lunch(LIME_A))
        assert lime.result == 0 and lime.holder == "Гость 1"
        assert lime.summa == 40000  # the rights hold 5300 roubles; the check is 400
        assert sorted(lime.sums[:2]) == [30000, 500000]  # Бонусы and Депозит
        assert (await till.card_info(7799900)).result == 1  # no route: not found
        ok, text, _ = await till.transactions(till.items(7788010, 50, pay=10000),
                                              lunch(7788010))
        assert ok, text
        assert lime_sim.model.put_checks == 0, "a bonus card puts nothing to Lime"


async def test_two_lime_cards_and_cash_are_one_putcheck(lime_sim, tmp_path):
    async with till_hub(lime_sim, tmp_path) as (hub, till):
        ok, text, ids = await till.transactions(two_cards(till, 51), lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        assert lime_sim.model.put_checks == 1, "one check for both cards"
        assert deposit(lime_sim, LIME_A) == 480000 and deposit(lime_sim, LIME_B) == 485000
        body = next(iter(lime_sim.model.checks.values()))["body"]
        assert [e["entry"]["goodTypeId"] for e in body["entries"]] == [42, 43, 44]
        again = await till.transactions(two_cards(till, 51), lunch(LIME_A, LIME_B))
        assert again == (True, again[1], ids), "a retried batch replays"
        assert lime_sim.model.put_checks == 1
        entry = await hub.journal.entry(check_key(ref(till, 51), "lime"))
        assert entry is not None and entry.status == "done" and entry.kind == "capture_check"
        keys = {e.key for e in await hub.journal.entries()}
        assert not any(k.endswith(":0:capture") for k in keys), "no per-card capture"
        captured = [e for e in await hub.events(kinds=["payment_captured"])
                    if e.data.get("component") == "lime"]
        assert sorted(e.amount for e in captured) == [15000, 20000]


async def test_crash_between_capture_and_its_record_then_restart_one_putcheck(lime_sim,
                                                                              tmp_path):
    async with till_hub(lime_sim, tmp_path) as (hub, till):
        batch = two_cards(till, 52)
        # Lime's check is committed to its outbox, then the answer is lost: the journal
        # cannot tell (unknown) and the process goes down before delivering it
        hub.state("lime")["runtime"].accounts.drop_answer_to = "capture"
        lime_sim.app.down = {"PutCheck"}
        ok, text, _ = await till.transactions(batch, lunch(LIME_A, LIME_B))
        assert not ok and "повторите" in text, "unknown: the till is told to repeat"
        entry = await hub.journal.entry(check_key(ref(till, 52), "lime"))
        assert entry is not None and entry.status == "unknown"
    assert lime_sim.model.put_checks == 0
    lime_sim.app.down = set()
    async with till_hub(lime_sim, tmp_path) as (hub, till):  # the restart
        await wait_until(lambda: lime_sim.model.put_checks == 1, "the kept check delivered")
        ok, text, ids = await till.transactions(batch, lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        entry = await hub.journal.entry(check_key(ref(till, 52), "lime"))
        assert entry is not None and entry.status == "done"
        await anyio.sleep(0.5)  # a delivery round more: nothing left to put
        assert lime_sim.model.put_checks == 1
        assert deposit(lime_sim, LIME_A) == 480000 and deposit(lime_sim, LIME_B) == 485000


def returns(sim: LimeSimulator) -> list[dict[str, Any]]:
    return [c for c in sim.model.checks.values() if c["refund"]]


async def test_a_cancelled_check_is_one_lime_return_for_both_cards(lime_sim, tmp_path):
    async with till_hub(lime_sim, tmp_path) as (hub, till):
        ok, text, _ = await till.transactions(two_cards(till, 53), lunch(LIME_A, LIME_B))
        assert ok, text
        ok, text, ids = await till.transactions(two_cards(till, 53, cancel=True),
                                                lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        assert deposit(lime_sim, LIME_A) == 500000 and deposit(lime_sim, LIME_B) == 500000
        (ret,) = returns(lime_sim)  # ONE return check for both cards' parts
        sold = next(c for c in lime_sim.model.checks.values() if not c["refund"])
        # Обед was Гость 1's, Кофе both guests' (one entry paid back to two cards), Прокат cash
        assert [ln["returns"] for ln in ret["lines"]] == \
            [ln["lime_id"] for ln in sold["lines"][:2]]
        assert [(ln["units"], ln["price"]) for ln in ret["lines"]] == [(1, 15000), (2, 10000)]
        assert [[(s["card"], s["amount"]) for s in ln["shares"]] for ln in ret["lines"]] == [
            [(777, 15000)], [(777, 5000), (778, 15000)]]
        again = await till.transactions(two_cards(till, 53, cancel=True),
                                        lunch(LIME_A, LIME_B))
        assert again == (True, again[1], ids), "a retried cancellation replays"
        assert len(returns(lime_sim)) == 1
        entry = await hub.journal.entry(refund_key(ref(till, 53), "lime"))
        assert entry is not None and entry.status == "done" and entry.kind == "refund_check"
        refunded = [e for e in await hub.events(kinds=["payment_refunded"])
                    if e.data.get("component") == "lime"]
        assert sorted(e.amount for e in refunded) == [15000, 20000]
        assert deposit(lime_sim, LIME_A) == 500000 and deposit(lime_sim, LIME_B) == 500000
        ok, text, _ = await till.transactions(two_cards(till, 54, cancel=True),
                                              lunch(LIME_A, LIME_B))
        assert not ok and "нечего отменять" in text


async def test_a_partial_return_gives_back_what_the_till_cancels(lime_sim, tmp_path):
    async with till_hub(lime_sim, tmp_path) as (_hub, till):
        ok, text, _ = await till.transactions(two_cards(till, 56), lunch(LIME_A, LIME_B))
        assert ok, text
        part = till.items(LIME_A, 56, pay=5000, cancel=True) + \
            till.items(LIME_B, 56, pay=15000, cancel=True)
        ok, text, ids = await till.transactions(part, lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        assert deposit(lime_sim, LIME_A) == 485000 and deposit(lime_sim, LIME_B) == 500000
        (ret,) = returns(lime_sim)
        back = {(s["card"], ln["returns"]): s["amount"] for ln in ret["lines"]
                for s in ln["shares"]}
        assert sum(back.values()) == 20000 and back[(778, ret["lines"][-1]["returns"])] == 15000
        assert all(ln["cost"] == sum(s["amount"] for s in ln["shares"]) for ln in ret["lines"])


async def test_a_lost_return_answer_then_restart_is_still_one_return(lime_sim, tmp_path):
    async with till_hub(lime_sim, tmp_path) as (_hub, till):
        ok, text, _ = await till.transactions(two_cards(till, 57), lunch(LIME_A, LIME_B))
        assert ok, text
    async with till_hub(lime_sim, tmp_path) as (hub, till):
        # the return check is committed to Lime's outbox, then the answer is lost and Lime
        # takes no PutCheck: the journal cannot tell, and the hub goes down
        hub.state("lime")["runtime"].accounts.drop_answer_to = "refund"
        lime_sim.app.down = {"PutCheck"}
        ok, text, _ = await till.transactions(two_cards(till, 57, cancel=True),
                                              lunch(LIME_A, LIME_B))
        assert not ok and "повторите" in text, "unknown: the till is told to repeat"
        entry = await hub.journal.entry(refund_key(ref(till, 57), "lime"))
        assert entry is not None and entry.status == "unknown"
    assert returns(lime_sim) == []
    lime_sim.app.down = set()
    async with till_hub(lime_sim, tmp_path) as (hub, till):  # the restart
        await wait_until(lambda: len(returns(lime_sim)) == 1, "the kept return delivered")
        ok, text, ids = await till.transactions(two_cards(till, 57, cancel=True),
                                                lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        entry = await hub.journal.entry(refund_key(ref(till, 57), "lime"))
        assert entry is not None and entry.status == "done"
        await anyio.sleep(0.5)  # a delivery round more: nothing left to put
        assert len(returns(lime_sim)) == 1 and lime_sim.model.put_checks == 2
        assert deposit(lime_sim, LIME_A) == 500000 and deposit(lime_sim, LIME_B) == 500000


def demo_check_in_lime(lime: Any, paid: int) -> None:
    """What the Lime simulator recorded for the demo till's check: one entry per dish with
    the good type of the dish's menu group (by category, not the default "Оплата"), the
    cards' part from Lime rights (processingId 3, card and right named), the rest as the
    till's other tender (processingId 1)."""
    from kassa_lime.sim import DEMO_CATEGORIES
    from kassa_lime.wire import kopecks
    from kassa_rkeeper.sim_data import MENUITEMS

    groups = dict(DEMO_CATEGORIES)
    (chk,) = [c for c in lime.model.checks.values() if not c["refund"]]
    entries = chk["body"]["entries"]
    assert entries
    for e in entries:
        good, price = e["entry"]["goodTypeId"], kopecks(e["entry"]["basePrice"])
        assert good in groups, f"good type {good} is not a menu group's"
        assert any(i.props["CategPath"] == groups[good] and int(i.props["Price"]) == price
                   for i in MENUITEMS), f"no dish of {groups[good]} costs {price}"
    pays = [p for e in entries for p in e["payments"]]
    assert {p["processingId"] for p in pays} <= {1, 3}
    from_lime = [p for p in pays if p["processingId"] == 3]
    assert sum(kopecks(p["amount"]) for p in from_lime) == paid
    assert all(p["transactionReference"].startswith("card:") for p in from_lime)
    assert all(not p["transactionReference"] for p in pays if p["processingId"] == 1)


async def test_the_demo_serves_bonus_and_lime_at_one_till(tmp_path, monkeypatch):
    """Assembled as ``kassa demo`` assembles it: the simulators' published endpoints give
    the door its routes (bonus_cards, lime_cards) and the till its guests' cards."""
    from kassa.demo import DemoSettings, merge, merge_sites, publish_endpoints
    from kassa.plugins import Plugins, new_manager

    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "bonus,rkeeper,lime")
    monkeypatch.delenv("KASSA_FARCARDS_URL", raising=False)
    plugins = Plugins(new_manager(entry_points=True))
    demo = DemoSettings(sites=["r1"], site_count=1, speed=1.0, seed=3, locale="ru")
    sims = await plugins.simulators(demo)
    publish_endpoints(sims, demo)
    assert demo.endpoints["bonus_cards"] == BONUS_CARDS
    assert demo.endpoints["lime_cards"] == LIME_CARDS
    rkeeper: Any = next(s for s in sims if s.name.startswith("rkeeper:"))
    lime: Any = next(s for s in sims if s.name == "lime")
    config: dict[str, Any] = {}
    try:
        for sim in sims:
            config = merge(config, await sim.start())
        assert [r["program"] for r in config["farcards"]["routes"]] == ["bonus", "lime"]
        assert config["lime"].get("loyalty", True), "Lime is a programme at the till too"
        async with make_hub(merge_sites(config), tmp_path, entry_points=True) as hub:
            till = rkeeper.till
            assert till is not None and "7799000" in till.cards and "7788000" in till.cards
            door = hub.state("rkeeper")["farcards"]
            with anyio.fail_after(20):
                await door.listening.wait()
            till.rng.random = lambda: 0.0  # pay with the cards; the check is shared
            till.cards = ("7799010", "7799011")
            check = await till.visit()
            assert check is not None and till.refusals == [] and till.posted == 1
            assert lime.model.put_checks == 1, "two guests' Lime cards: one Lime check"
            paid = dict(check.pays)[3]
            assert deposit(lime, 7799010) + deposit(lime, 7799011) == 2 * 500000 - paid
            assert deposit(lime, 7799010) < 500000 and deposit(lime, 7799011) < 500000
            demo_check_in_lime(lime, paid)
            route = next(r for r in config["farcards"]["routes"] if r["program"] == "lime")
            assert route["bonus_type"] == 0, "r_keeper accrues nothing on a Lime card"
            keys = [e for e in await hub.journal.entries() if e.component == "lime"]
            assert not [e for e in keys if e.kind == "commit"], "no Kind 2 posting to Lime"
            till.cards = ("7788010",)
            check = await till.visit()
            assert check is not None and till.refusals == [] and till.posted == 2
            guest = await hub.loyalty_programs["bonus"].identify("7788010")
            assert guest is not None and lime.model.put_checks == 1
            assert lime.summary() == {"installation 79": {"put_checks": 1, "checks": 1,
                                                          "cards": 2}}
    finally:
        for sim in reversed(sims):
            with anyio.CancelScope(shield=True):
                await sim.stop()


# --- a real process killed between Lime's capture and its journal record -----------------
def toml(config: dict[str, Any]) -> str:
    """Tables of scalars and arrays of scalars, and arrays of tables ([[lime.good_types]])."""
    out: list[str] = []
    for table, body in config.items():
        out += ["", f"[{table}]"]
        out += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in body.items()
                if not (isinstance(v, list) and v and isinstance(v[0], dict))]
        for k, rows in body.items():
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                for row in rows:
                    out += ["", f"[[{table}.{k}]]"]
                    out += [f"{a} = {json.dumps(b, ensure_ascii=False)}" for a, b in row.items()]
    return "\n".join(out) + "\n"


def hub_process(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KASSA_LOAD_PLUGINS": "bonus,rkeeper,lime", "PYTHONUNBUFFERED": "1"}
    env.pop("KASSA_FARCARDS_URL", None)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "kassa.cli", "run", "-c", str(cfg)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)


async def door_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    with anyio.fail_after(90):  # a loaded box starts a hub slowly
        while True:
            if proc.poll() is not None:
                tail = await anyio.Path(log).read_text()
                raise AssertionError(f"the hub exited: {tail[-3000:]}")
            try:
                async with FarCardsTill(url, auth=("cash1", KEY), restaurant=REST) as t:
                    await t.card_info(7788001)
                return
            except (httpx.HTTPError, TillError):
                await anyio.sleep(0.2)


def journal_status(data: Path, key: str) -> str | None:
    db = sqlite3.connect(data / "kassa.db", timeout=10)
    try:
        row = db.execute("SELECT status FROM journal WHERE key = ?", (key,)).fetchone()
    finally:
        db.close()
    return None if row is None else str(row[0])


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def test_sigkill_between_lime_capture_and_its_record_then_restart_one_putcheck(
        lime_sim, tmp_path):
    port = free_port()
    cfg = config(lime_sim, tmp_path)
    cfg["lime"]["timeout"] = 60.0  # the hub waits on the held PutCheck until it is killed
    cfg["farcards"]["port"] = port
    cfg = {"hub": {"name": "lime-kill", "data_dir": str(tmp_path)},
           "api": {"port": 0, "token": "test-token-0123456789"}, **cfg}
    path = tmp_path / "kassa.toml"
    path.write_text(toml(cfg), encoding="utf-8")
    log = tmp_path / "hub.log"
    url = f"http://127.0.0.1:{port}/farcards"
    proc = hub_process(path, log)
    try:
        await door_up(url, proc, log)
        lime_sim.app.stall = {"PutCheck"}  # Lime takes the check and has not answered yet
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=REST) as till:
            batch = two_cards(till, 55)
            key = check_key(ref(till, 55), "lime")
            async with anyio.create_task_group() as tg:
                async def close_check() -> None:
                    with contextlib.suppress(httpx.HTTPError, TillError):
                        await till.transactions(batch, lunch(LIME_A, LIME_B))

                tg.start_soon(close_check)
                with anyio.fail_after(60):
                    while lime_sim.app.stalled < 1:  # noqa: ASYNC110 (the hub is in PutCheck)
                        await anyio.sleep(0.05)
                assert journal_status(tmp_path, key) == "pending"
                proc.kill()  # SIGKILL: no shutdown, no journal record of the capture
                proc.wait(30)
        lime_sim.app.stall = set()  # the request in flight reaches Lime after all
        await wait_until(lambda: lime_sim.model.put_checks == 1, "the check in flight")
        proc = hub_process(path, log)  # the restart: same files
        await door_up(url, proc, log)
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=REST) as till:
            ok, text, ids = await till.transactions(batch, lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        assert journal_status(tmp_path, key) == "done"
        await anyio.sleep(1.0)  # delivery rounds (retry_seconds 0.2): the kept check went
        assert lime_sim.model.put_checks == 1, "exactly ONE PutCheck in Lime"
        assert deposit(lime_sim, LIME_A) == 480000 and deposit(lime_sim, LIME_B) == 485000
    finally:
        stop(proc)


async def test_sigkill_during_the_lime_return_then_restart_one_return(lime_sim, tmp_path):
    port = free_port()
    cfg = config(lime_sim, tmp_path)
    cfg["lime"]["timeout"] = 60.0  # the hub waits on the held PutCheck until it is killed
    cfg["farcards"]["port"] = port
    cfg = {"hub": {"name": "lime-kill-return", "data_dir": str(tmp_path)},
           "api": {"port": 0, "token": "test-token-0123456789"}, **cfg}
    path = tmp_path / "kassa.toml"
    path.write_text(toml(cfg), encoding="utf-8")
    log = tmp_path / "hub.log"
    url = f"http://127.0.0.1:{port}/farcards"
    proc = hub_process(path, log)
    try:
        await door_up(url, proc, log)
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=REST) as till:
            ok, text, _ = await till.transactions(two_cards(till, 58), lunch(LIME_A, LIME_B))
            assert ok, text
            await wait_until(lambda: lime_sim.model.put_checks == 1, "the sale")
            cancel = two_cards(till, 58, cancel=True)
            key = refund_key(ref(till, 58), "lime")
            lime_sim.app.stall = {"PutCheck"}  # Lime takes the return, has not answered yet
            async with anyio.create_task_group() as tg:
                async def cancel_check() -> None:
                    with contextlib.suppress(httpx.HTTPError, TillError):
                        await till.transactions(cancel, lunch(LIME_A, LIME_B))

                tg.start_soon(cancel_check)
                with anyio.fail_after(60):
                    while lime_sim.app.stalled < 1:  # noqa: ASYNC110 (the hub is in PutCheck)
                        await anyio.sleep(0.05)
                assert journal_status(tmp_path, key) == "pending"
                proc.kill()  # SIGKILL: no shutdown, no journal record of the return
                proc.wait(30)
        lime_sim.app.stall = set()  # the request in flight reaches Lime after all
        await wait_until(lambda: len(returns(lime_sim)) == 1, "the return in flight")
        proc = hub_process(path, log)  # the restart: same files
        await door_up(url, proc, log)
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=REST) as till:
            ok, text, ids = await till.transactions(cancel, lunch(LIME_A, LIME_B))
        assert ok, text
        assert len(ids) == 2
        assert journal_status(tmp_path, key) == "done"
        await anyio.sleep(1.0)  # delivery rounds (retry_seconds 0.2): the kept return went
        assert len(returns(lime_sim)) == 1, "exactly ONE Lime return check"
        assert lime_sim.model.put_checks == 2
        assert deposit(lime_sim, LIME_A) == 500000 and deposit(lime_sim, LIME_B) == 500000
    finally:
        stop(proc)
