"""Numbers out of range, malformed requests and failures: every one a clear refusal the till
shows (HTTP 200 in the call's own envelope), nothing posted, balances stay integers; a real
failure is a 500 whose correlation id is in the answer, the log and an event."""

from __future__ import annotations

import logging

import pytest
from kassa_rkeeper.farcards import wire as fw
from kassa_rkeeper.farcards.till import (
    FarCardsTill,
    TillCheck,
    TillLine,
    card_query_xml,
    parse_card_info,
    parse_transactions_result,
    transactions_xml,
)

from .farcards_hub import KEY, farcards_hub

pytestmark = pytest.mark.anyio
CARD = 7788100


@pytest.fixture(scope="module")
async def till(tmp_path_factory):
    """One hub for the module: no case here posts anything (each checks that)."""
    async with farcards_hub(tmp_path_factory.mktemp("hub")) as (hub, url, _):
        async with FarCardsTill(url, auth=("cash1", KEY)) as t:
            assert (await t.card_info(CARD)).summa == 30000  # issued, welcome bonus
            yield t, hub


async def balance(hub) -> int:
    guest = await hub.loyalty_programs["bonus"].identify(str(CARD))
    value = next(a.balance for a in guest.accounts if a.kind == "bonus")
    assert type(value) is int
    return int(value)


async def farcards_keys(hub) -> list[str]:
    return [e.key for e in await hub.journal.entries() if e.key.startswith("farcards:")]


async def refused(t: FarCardsTill, body: bytes) -> str:
    out = parse_transactions_result(await t.post("transactionsex", body))
    assert t.last is not None and t.last.status_code == 200
    assert out[0] is False
    return out[1]


def one(**raw: str) -> bytes:
    return transactions_xml([fw.Transaction(card=CARD, kind=2, summa=100, rk_check=9)], None,
                            raw=raw)


@pytest.mark.parametrize(("raw", "says"), [
    ({"Summa": "99999999999999999999"}, "out of range"),  # beyond 64 bits: was a 500
    ({"Summa": "1000000000000000"}, "out of range"),  # an absurd credit: was accepted
    ({"Summa": "12.5"}, "not a whole number"),
    ({"Summa": "1e5"}, "not a whole number"),
    ({"Card": "abc"}, "not a whole number"),
    ({"Card": "0"}, "out of range"),
    ({"Card": str(2**63)}, "out of range"),
    ({"Kind": "7"}, "out of range 0..3"),
    ({"RKDate": "99999999"}, "out of range"),
    ({"RKCheck": "-1"}, "out of range"),
    ({"Restaurant": "1000000000"}, "out of range"),
])
async def test_numbers_out_of_range_are_refused_and_nothing_posts(till, raw, says):
    t, hub = till
    text = await refused(t, one(**raw))
    assert says in text and text.startswith("Запрос кассы не принят")
    assert await balance(hub) == 30000 and await farcards_keys(hub) == []
    assert (await t.card_info(CARD)).summa == 30000  # the card reads as before


@pytest.mark.parametrize(("line", "says"), [
    (TillLine("x", "Суп", 100, raw_sum="abc"), "not an amount in roubles"),  # was a 500
    (TillLine("x", "Суп", 100, raw_sum="NaN"), "not an amount in roubles"),
    (TillLine("x", "Суп", 100, raw_sum="1.005"), "more than two decimals"),
    (TillLine("x", "Суп", 100, raw_sum="99999999999999"), "out of range"),
    (TillLine("x", "Суп", 100, raw_sum="-5.00"), "out of range"),
    (TillLine("x", "Суп", 100, quantity=__import__("decimal").Decimal("-1")), "out of range"),
])
async def test_bad_check_lines_are_refused_on_both_calls(till, line, says):
    t, hub = till
    check = TillCheck(lines=[line])
    text = await refused(t, transactions_xml(t.items(CARD, 10, pay=50), check))
    assert says in text
    info = parse_card_info(await t.post("getcardinfoex", card_query_xml(CARD, 1, 1, check)))
    assert info.result == 0 and info.locked and says in info.why_lock  # the till shows it
    assert await balance(hub) == 30000 and await farcards_keys(hub) == []


@pytest.mark.parametrize(("body", "says"), [
    (b"\xff\xfe<ROOT/>", "not UTF-8"),
    (b"<ROOT><Transactions>", "malformed XML"),
    (b'<!DOCTYPE r [<!ENTITY a "aaaa">]><ROOT/>', "DOCTYPE"),
    (b"<ROOT><Transactions/></ROOT>", "must hold 1..256"),
    (transactions_xml([fw.Transaction(card=CARD, kind=2, summa=1, rk_check=1)] * 257, None),
     "must hold 1..256"),
    (transactions_xml([fw.Transaction(card=CARD, kind=2, summa=1, rk_check=1),
                       fw.Transaction(card=CARD, kind=2, summa=1, rk_check=2)], None),
     "must belong to one check"),
])
async def test_malformed_requests_are_refused_with_the_reason(till, body, says):
    t, hub = till
    assert says in await refused(t, body)
    assert await farcards_keys(hub) == []


async def test_cards_paying_more_than_the_check_are_refused(till):
    t, hub = till
    check = TillCheck(lines=[TillLine("tea", "Чай", 10000, uni=1)])
    ok, text, _ = await t.transactions(t.items(CARD, 11, pay=20000), check)
    assert not ok and "more than the check" in text
    assert await balance(hub) == 30000


async def test_a_failure_is_a_500_with_a_correlation_id_in_answer_log_and_event(till, caplog,
                                                                                 monkeypatch):
    t, hub = till
    door = hub.state("rkeeper")["farcards"]

    async def broken(*_a: object) -> None:
        raise RuntimeError("disk on fire")

    caplog.set_level(logging.ERROR, "kassa.rkeeper.farcards")
    with monkeypatch.context() as m:
        m.setattr(door.dispatcher, "card_info", broken)
        body = await t.post("getcardinfoex", card_query_xml(CARD, 1, 1, None), ok_only=False)
    assert t.last is not None and t.last.status_code == 500
    ref = t.last.headers["x-correlation-id"]
    assert len(ref) == 12 and ref in parse_card_info(body).why_lock  # what the till shows
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    events = await hub.events(kinds=["farcards_failed"])
    assert [e.data["correlation_id"] for e in events] == [ref]
