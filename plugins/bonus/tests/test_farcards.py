"""FarCards-HTTP: a till (kassa_bonus.till) against the door over a real socket."""

from __future__ import annotations

from decimal import Decimal

import anyio
import httpx
import pytest
from kassa.secret import Secret
from kassa_bonus import farcards_wire as fw
from kassa_bonus import schema
from kassa_bonus.door import Door
from kassa_bonus.service import service_for
from kassa_bonus.settings import BonusSettings, FarCardsDoor, TillKey
from kassa_bonus.till import FarCardsTill
from sqlalchemy import func, select

pytestmark = pytest.mark.anyio
KEY = "till-key-0123456789abcdef"


def door_cfg(**kw: object) -> FarCardsDoor:
    return FarCardsDoor(port=0, tills=[TillKey("cash1", Secret(KEY))], **kw)  # type: ignore[arg-type]


async def open_door(hub, cfg: FarCardsDoor, tg) -> tuple[str, Door]:
    door = Door(hub, cfg)
    tg.start_soon(door.run)
    with anyio.fail_after(10):
        await door.listening.wait()
    return f"http://127.0.0.1:{door.port}/farcards", door


@pytest.fixture
async def till(hub):
    hub._bonus = BonusSettings(excluded=["bar"], farcards_issue_ranges=["5000-5999"],
                               farcards_discounts={"vip": 7}, farcards=door_cfg())
    async with anyio.create_task_group() as tg:
        url, door = await open_door(hub, hub._bonus.farcards, tg)
        t = FarCardsTill(f"{url}/{KEY}")
        yield t, await service_for(hub), url
        await t.aclose()
        door.stop()


async def guests_count(svc) -> int:
    async with svc.store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(schema.guest))).scalar())


def soup_and_bar() -> fw.TillCheck:
    return fw.TillCheck(cards=["4455"], lines=[
        fw.TillLine("soup", "Борщ", 40000, Decimal(2), uni=1),
        fw.TillLine("bar", "Вино", 60000, uni=2)])


async def test_card_info_for_known_unknown_blocked_and_issued(till):
    t, svc, _ = till
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


async def test_probing_unknown_cards_creates_no_guest(till):
    t, svc, url = till
    before = await guests_count(svc)
    for card in (1, 4999, 6000, 77880001, 10**15):  # outside 5000-5999: a stranger's card
        assert (await t.card_info(card)).result == 1
    async with httpx.AsyncClient() as c:  # inside the range, but without a till key
        r = await c.post(f"{url}/getcardinfoex", content=fw.card_query_xml(5002, 1, 1, None))
    assert r.status_code == 401
    assert await guests_count(svc) == before


async def test_no_issue_ranges_means_no_card_is_ever_issued(hub):
    hub._bonus = BonusSettings(farcards=door_cfg())
    async with anyio.create_task_group() as tg:
        url, door = await open_door(hub, hub._bonus.farcards, tg)
        svc = await service_for(hub)
        async with FarCardsTill(f"{url}/{KEY}") as t:
            assert (await t.card_info(5001)).result == 1
        assert await guests_count(svc) == 0
        door.stop()


async def test_check_close_pays_and_accrues_all_or_nothing(till):
    t, svc, _ = till
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
    t, _, _ = till
    ok, text, _ = await t.close_check(999, 1, bonus=100)
    assert not ok and text == "Карта не найдена"


def forged_earn(card: int = 4455) -> bytes:
    return fw.transactions_xml([fw.Transaction(card=card, kind=fw.KIND_BONUS, summa=5_000_000,
                                               restaurant=1, rk_date=46083, rk_check=1)], None)


async def test_forged_transactions_earn_nothing(till, caplog):
    _, svc, url = till
    g = await svc.register("test", "g", name="Анна", card="4455")
    wrong_basic = httpx.BasicAuth("cash1", KEY[:-1] + "x")
    other_user = httpx.BasicAuth("cash2", KEY)
    async with httpx.AsyncClient() as c:
        none = httpx.USE_CLIENT_DEFAULT  # the client has none: no credential at all
        for target, auth in ((f"{url}/transactionsex", none),
                             (f"{url}/not-the-key-0123456789/transactionsex", none),
                             (f"{url}/transactionsex", wrong_basic),
                             (f"{url}/transactionsex", other_user)):
            r = await c.post(target, content=forged_earn(), auth=auth)
            assert r.status_code == 401, target
            assert r.headers["www-authenticate"].startswith("Basic")
            ok, text, ids = fw.parse_transactions_result(r.content)
            assert (ok, ids) == (False, [])
            assert text == "Касса не допущена к серверу карт: нет ключа кассы или он неверен"
        assert KEY not in r.text
        assert (await svc.bonus_account(g.guest)).balance == 0  # nothing posted
        r = await c.post(f"{url}/getcardinfoex", content=fw.card_query_xml(4455, 1, 1, None))
        assert r.status_code == 401 and b"Holder" not in r.content  # nor anything told
        # the right key, as HTTP Basic, is let in
        r = await c.post(f"{url}/transactionsex", content=forged_earn(),
                         auth=httpx.BasicAuth("cash1", KEY))
        assert r.status_code == 200 and fw.parse_transactions_result(r.content)[0]
    assert (await svc.bonus_account(g.guest)).balance == 5_000_000  # only the admitted one
    refusals = [r for r in caplog.records if "FarCards door: refused" in r.getMessage()]
    assert len(refusals) == 1  # one line per address per minute, not per request
    assert "127.0.0.1" in refusals[0].getMessage()
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_address_outside_the_allow_list_is_refused_even_with_the_key(hub):
    hub._bonus = BonusSettings(farcards=door_cfg(allow=["10.9.9.0/24"]))
    async with anyio.create_task_group() as tg:
        url, door = await open_door(hub, hub._bonus.farcards, tg)
        svc = await service_for(hub)
        g = await svc.register("test", "g", name="Анна", card="4455")
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{url}/{KEY}/transactionsex", content=forged_earn(),
                             headers={"X-Forwarded-For": "10.9.9.7"})  # not believed
            assert r.status_code == 403
            assert fw.parse_transactions_result(r.content)[1] == \
                "Касса не допущена к серверу карт: адрес 127.0.0.1 не разрешён"
            r = await c.post(f"{url}/{KEY}/getcardinfoex",
                             content=fw.card_query_xml(4455, 1, 1, None))
            assert r.status_code == 403
            el = fw.parse_xml(r.content).find("GetCardInfoEx")
            assert el is not None and el.get("Result") == "1" and "127.0.0.1" in el.get(
                "ErrorText", "")
        assert (await svc.bonus_account(g.guest)).balance == 0
        door.stop()
    allowed = Door(hub, door_cfg(allow=["127.0.0.0/8"]))
    assert allowed.admit("127.0.0.1", KEY, "") is None
    assert allowed.admit("::ffff:127.0.0.1", KEY, "") is None
    refused = allowed.admit("10.0.0.1", KEY, "")
    assert refused is not None and refused[0] == 403


async def test_malformed_and_oversized_requests_get_a_clear_answer(hub):
    hub._bonus = BonusSettings(farcards=door_cfg(max_body=2048))
    async with anyio.create_task_group() as tg:
        url, door = await open_door(hub, hub._bonus.farcards, tg)
        base = f"{url}/{KEY}"
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{base}/getcardinfoex", content=b"<ROOT><QRY/></ROOT>")
            assert r.status_code == 400 and "Card" in r.text
            r = await c.post(f"{base}/transactionsex", content="<ROOT>".encode("cp1251"))
            assert r.status_code == 400 and "malformed XML" in r.text
            r = await c.post(f"{base}/getcardinfoex", content="<ROOT>ё</ROOT>".encode("cp1251"))
            assert r.status_code == 400 and "UTF-8" in r.text
            r = await c.post(f"{base}/transactionsex", content=b" " * 4096)
            assert r.status_code == 413 and "2048" in r.text
            assert (await c.post(f"{base}/other")).status_code == 404
            assert (await c.get(f"{base}/getcardinfoex")).status_code == 405
        door.stop()
