"""FarCards-HTTP: a till (kassa_bonus.till) against the server over a real socket."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from kassa_bonus import farcards_wire as fw
from kassa_bonus.service import service_for
from kassa_bonus.settings import BonusSettings
from kassa_bonus.till import FarCardsTill

pytestmark = pytest.mark.anyio


@pytest.fixture
async def till(served):
    url, hub = served
    hub._bonus = BonusSettings(excluded=["bar"], farcards_issue_ranges=["5000-5999"],
                               farcards_discounts={"vip": 7})
    t = FarCardsTill(url)
    yield t, await service_for(hub)
    await t.aclose()


def soup_and_bar() -> fw.TillCheck:
    return fw.TillCheck(cards=["4455"], lines=[
        fw.TillLine("soup", "Борщ", 40000, Decimal(2), uni=1),
        fw.TillLine("bar", "Вино", 60000, uni=2)])


async def test_card_info_for_known_unknown_blocked_and_issued(till):
    t, svc = till
    g = await svc.register("test", "g", name="Анна Петрова", card="4455", groups=["vip"])
    await svc.ledger.earn("test", "e", await svc.guests.account_of(g.guest, "bonus"), 150000)
    info = await t.card_info(4455)
    assert (info.result, info.holder, info.summa, info.discount) == (0, "Анна Петрова", 150000, 7)
    assert info.scr_message.startswith("Баланс: 1\u00a0500.00")
    capped = await t.card_info(4455, soup_and_bar())  # 50% of soup only: bar is excluded
    assert capped.summa == 20000
    assert (await t.card_info(1234)).result == 1
    await svc.guests.block("test", "b", "card", "4455", "утеряна")
    blocked = await t.card_info(4455)
    assert blocked.locked and blocked.why_lock == "Карта заблокирована: утеряна"
    issued = await t.card_info(5001)
    assert issued.result == 0 and issued.scr_message.startswith("Новая карта выдана")
    assert (await t.card_info(5001)).person_id == issued.person_id  # issued once


async def test_check_close_pays_and_accrues_all_or_nothing(till):
    t, svc = till
    g = await svc.register("test", "g", name="Анна", card="4455")
    acc = await svc.guests.account_of(g.guest, "bonus")
    await svc.ledger.earn("test", "e", acc, 30000)
    ok, text, ids = await t.close_check(4455, 17, pay=10000, bonus=2500, check=soup_and_bar())
    assert ok and len(ids) == 2
    assert (await svc.bonus_account(g.guest)).balance == 22500
    replay = await t.close_check(4455, 17, pay=10000, bonus=2500, check=soup_and_bar())
    assert replay == (ok, text, ids)  # ExtDllHTTP retried: nothing posted twice
    # more than the check allows -> refused, and the bonus line of the same batch is not posted
    ok, text, _ = await t.close_check(4455, 18, pay=20001, bonus=999, check=soup_and_bar())
    assert not ok and text.startswith("Баллами можно оплатить не больше")
    ok, text, _ = await t.close_check(4455, 19, pay=22501, bonus=999)
    assert not ok and text == "Недостаточно баллов на счёте"
    assert (await svc.bonus_account(g.guest)).balance == 22500
    # check cancel: payment returned, accrual taken back
    ok, _, _ = await t.close_check(4455, 17, pay=10000, bonus=2500, cancel=True)
    assert ok and (await svc.bonus_account(g.guest)).balance == 30000
    ok, text, _ = await t.close_check(4455, 17, pay=10000, bonus=0, cancel=True)
    assert not ok and text == "Нечего отменять по этому чеку"


async def test_unknown_card_in_a_batch_refuses_it(till):
    t, _ = till
    ok, text, _ = await t.close_check(999, 1, bonus=100)
    assert not ok and text == "Карта не найдена"


async def test_malformed_requests_get_a_clear_400(served):
    url, _ = served
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{url}/farcards/getcardinfoex", content=b"<ROOT><QRY/></ROOT>")
        assert r.status_code == 400 and "Card" in r.text
        r = await c.post(f"{url}/farcards/transactionsex", content="<ROOT>".encode("cp1251"))
        assert r.status_code == 400 and "malformed XML" in r.text
        r = await c.post(f"{url}/farcards/getcardinfoex", content="<ROOT>ё</ROOT>".encode("cp1251"))
        assert r.status_code == 400 and "UTF-8" in r.text
