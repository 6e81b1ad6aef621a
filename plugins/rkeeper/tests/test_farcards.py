"""FarCards-HTTP end to end: the r_keeper till simulator (``sim_till``: what ExtDllHTTP.dll
sends) against the door of a real hub, the bonus programme chosen by one card range and a
second programme on another; then batches no single simulated guest makes (two cards and cash
in one check, a cancellation, a retried batch) from the FarCards till client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from kassa_rkeeper.farcards import wire as fw
from kassa_rkeeper.farcards.till import FarCardsTill, TillCheck, TillLine
from kassa_rkeeper.sim import RKeeperSim

from .farcards_hub import BLOCKED, FAKE_CARD, FAKE_CARD2, KEY, farcards_hub

pytestmark = pytest.mark.anyio
KASSA, CASHIER = 15001, 21


async def bonus_balance(hub: Any, card: int | str) -> int:
    guest = await hub.loyalty_programs["bonus"].identify(str(card))
    return int(next(a.balance for a in guest.accounts if a.kind == "bonus"))


async def swiped(sim: RKeeperSim, card: str) -> Any:
    r = sim.rest
    order = r.open_order(5, 11, KASSA)
    r.add_draft(order, 1002, 2000)
    r.save(order, KASSA)
    return order, await sim.till.apply_card(order, card, KASSA)  # type: ignore[union-attr]


@pytest.fixture
async def sim_and_hub(tmp_path, monkeypatch):
    async with farcards_hub(tmp_path) as (hub, url, second):
        sim = RKeeperSim("r1", rest_code="199990005", seed=5, notify_url="",
                         farcards_url=f"{url}/{KEY}", start=datetime(2026, 3, 14, 12))
        await sim.start()
        assert sim.till is not None
        monkeypatch.setattr(sim.till.rng, "random", lambda: 0.0)  # guests pay with points
        try:
            yield sim, hub, second
        finally:
            await sim.stop()


async def test_the_simulated_till_pays_with_bonus_points_and_accrues(sim_and_hub):
    sim, hub, _ = sim_and_hub
    order, state = await swiped(sim, "7788010")
    assert state is not None and sim.till.refusals == []
    assert state.summa > 0 and state.bonus_type == 1  # issued now, with the welcome bonus
    assert await bonus_balance(hub, 7788010) == 30000
    check = await sim.till.close(order, KASSA, CASHIER)
    pay = dict(check.pays)[3]
    assert pay == state.summa and sim.till.posted == 1
    earned = (check.amount - pay) * 5 // 100  # r_keeper's own accrual (bonus type 1)
    assert await bonus_balance(hub, 7788010) == 30000 - pay + earned
    keys = {e.key for e in await hub.journal.entries()}
    ref = f"farcards:199990005:{(sim.rest.shift_date - datetime(1899, 12, 30)).days}:{KASSA}"
    assert {f"{ref}:{check.checknum}:7788010:0:hold", f"{ref}:{check.checknum}:7788010:0:capture",
            f"{ref}:{check.checknum}:7788010:2"} <= keys


async def test_the_second_programme_serves_its_own_range_on_the_same_till(sim_and_hub):
    sim, _hub, second = sim_and_hub
    order, state = await swiped(sim, str(FAKE_CARD))
    assert state is not None and state.summa == 50000  # its wallet, not the bonus ledger
    check = await sim.till.close(order, KASSA, CASHIER)
    pay = dict(check.pays)[3]
    assert await second.account.balance(str(FAKE_CARD)) == 50000 - pay
    assert second.loyalty.effects("commit") == 1  # the accrual went to that programme
    assert second.account.effects("captured") == 1


async def test_a_card_no_route_knows_is_not_found_on_the_till(sim_and_hub):
    sim, _, _ = sim_and_hub
    _, state = await swiped(sim, "1234567")
    assert state is None and sim.till.refusals == ["Карта не найдена"]


@pytest.fixture(scope="module")
async def till(tmp_path_factory):
    """One hub for the tests below: each uses cards (and a check number) of its own."""
    async with farcards_hub(tmp_path_factory.mktemp("hub")) as (hub, url, second):
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=199990001) as t:
            yield t, hub, second


def check(*cards: str) -> TillCheck:
    return TillCheck(cards=cards, lines=[TillLine("soup", "Борщ", 40000, uni=1),
                                         TillLine("wine", "Вино", 60000, uni=2)])


async def test_card_info_shows_the_holder_and_each_account(till):
    t, _hub, _ = till
    info = await t.card_info(7788020)
    assert info.result == 0 and not info.locked and info.summa == 30000
    assert info.sums[0] == 30000  # the bonus account; Sum3.. the others (a deposit: 0)
    assert "Баллы: 300.00" in info.scr_message
    with_check = await t.card_info(7788020, check("7788020"))
    assert with_check.summa == 30000  # 50% of 1000 roubles is more than the balance
    assert (await t.card_info(FAKE_CARD2)).summa == 50000


async def test_two_cards_and_cash_in_one_check_post_together_and_once(till):
    t, hub, second = till
    await t.card_info(7788030)  # issued
    items = t.items(7788030, 41, pay=20000, bonus=1500) + t.items(FAKE_CARD, 41, pay=30000,
                                                                   bonus=700)
    ok, text, ids = await t.transactions(items, check("7788030", str(FAKE_CARD)))
    assert ok, text
    assert len(ids) == 4  # cash paid the other 500 roubles: nothing to post for it
    assert await bonus_balance(hub, 7788030) == 30000 - 20000 + 1500
    assert await second.account.balance(str(FAKE_CARD)) == 20000
    again = await t.transactions(items, check("7788030", str(FAKE_CARD)))  # a lost answer
    assert again == (True, again[1], ids)
    assert await bonus_balance(hub, 7788030) == 11500
    assert second.account.effects("captured") == 1


async def test_one_refused_card_refuses_the_whole_check_and_undoes_the_other(till):
    t, hub, second = till
    await t.card_info(7788031)
    items = t.items(7788031, 42, pay=10000) + t.items(FAKE_CARD2, 42, pay=60000)  # over 500
    ok, text, _ = await t.transactions(items, check("7788031", str(FAKE_CARD2)))
    assert not ok and "Отказ" in text
    assert await bonus_balance(hub, 7788031) == 30000  # its hold was voided
    assert await second.account.balance(str(FAKE_CARD2)) == 50000
    ok, text, _ = await t.transactions(items, check("7788031", str(FAKE_CARD2)))
    assert not ok and "уже был отклонён" in text  # the same check again: refused the same


async def test_a_cancelled_check_gives_back_points_and_takes_back_the_accrual(till):
    t, hub, _ = till
    await t.card_info(7788040)
    ok, _, _ = await t.transactions(t.items(7788040, 43, pay=10000, bonus=2000), check())
    assert ok and await bonus_balance(hub, 7788040) == 22000
    ok, text, ids = await t.transactions(t.items(7788040, 43, pay=10000, bonus=2000,
                                                 cancel=True), check())
    assert ok, text
    assert len(ids) == 2 and await bonus_balance(hub, 7788040) == 30000
    ok, text, _ = await t.transactions(t.items(7788040, 44, pay=100, cancel=True), check())
    assert not ok and "нечего отменять" in text


async def test_points_pay_at_most_the_programmes_share_of_the_check(till):
    t, hub, _ = till
    await t.card_info(7788050)
    small = TillCheck(lines=[TillLine("tea", "Чай", 20000, uni=1)])  # 50%: 100 roubles
    ok, text, _ = await t.transactions(t.items(7788050, 45, pay=15000), small)
    assert not ok and "не больше 100.00" in text
    assert await bonus_balance(hub, 7788050) == 30000
    assert fw.KIND_PAYMENT == 0  # the Kind table's payment


async def test_a_blocked_card_is_refused_with_the_programmes_reason(till):
    t, _, second = till
    commits = second.loyalty.effects("commit")
    info = await t.card_info(BLOCKED)
    assert info.result == 0 and info.locked and "утеряна" in info.why_lock
    ok, text, _ = await t.transactions(t.items(BLOCKED, 46, bonus=100), check())
    assert not ok and text.startswith("Карта не принята") and "утеряна" in text
    assert second.loyalty.effects("commit") == commits
