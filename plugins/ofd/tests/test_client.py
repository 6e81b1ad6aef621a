"""The OFD.ru client against the emulator over a real socket: auth, paging by 30-day
windows, one receipt by FN/FD/FP, the register list, token expiry, 429, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import Operation
from kassa_ofd.client import OfdClient
from kassa_ofd.sim import OfdSimulator

from .conftest import Clock, settings_for, ticket

pytestmark = pytest.mark.anyio


async def test_login_then_kkts_with_their_last_exchange(sim: OfdSimulator, client: OfdClient):
    sim.take(ticket(1))
    kkts = await client.kkts()
    assert [(k.reg_number, k.fn) for k in kkts] == [("0000000001002292", "9999078900000961")]
    assert kkts[0].last_doc_on_ofd == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert client.logins == 1
    await client.kkts(fn="9999078900000961")
    assert client.logins == 1  # the token is reused until it expires
    assert await client.kkts(fn="0000000000000000") == []


async def test_receipts_of_a_period_are_paged_by_30_day_windows(sim, client, clock):
    sim.take(ticket(1, when="2026-01-05T10:00:00"))
    sim.take(ticket(2, when="2026-02-20T10:00:00", total=999, op=2))
    sim.take(ticket(3, when="2026-03-02T11:00:00"))
    got = await client.receipts("0000000001002292", datetime(2026, 1, 1, tzinfo=UTC),
                                clock.now())
    assert [r.number for r in got] == [1, 2, 3]
    assert got[1].total == 999 and got[1].operation is Operation(2)
    calls = [p for _, p in sim.requests if p.endswith("/receipts")]
    assert len(calls) == 3  # 60 days -> three requests, none over the cap


async def test_find_by_fn_fd_fp_and_the_full_document(sim, client, clock):
    sim.take(ticket(7, fp=123456, buyer="a@b.ru"))
    found = await client.find("9999078900000961", 7, fiscal_sign="123456")
    assert found is not None and found.fiscal_sign == "123456"
    assert found.issued_at.utcoffset() == timedelta(hours=3)
    assert await client.find("9999078900000961", 7, fiscal_sign="999") is None
    assert await client.find("9999078900000961", 8) is None
    doc = await client.document(found.reg_number, found.id)
    assert doc is not None and doc["Document"]["Buyer_Address"] == "a@b.ru"
    assert doc["Document"]["Amount_Total"] == 15000


async def test_a_document_is_listed_only_after_the_processing_delay(sim, client, clock):
    sim.delay = 60
    sim.take(ticket(1))
    assert await client.find("9999078900000961", 1) is None
    clock.advance(seconds=61)
    assert await client.find("9999078900000961", 1) is not None


async def test_an_expired_token_is_renewed_once(sim, client, clock):
    sim.take(ticket(1))
    await client.kkts()
    clock.advance(hours=25)  # past ExpirationDateUtc: the client knows and logs in again
    await client.kkts()
    assert client.logins == 2
    sim.tokens = {t: clock.now() for t in sim.tokens}  # revoked early: 403, one new token
    await client.kkts()
    assert client.logins == 3


async def test_wrong_password_and_foreign_inn_are_permanent(sim, clock):
    bad = OfdClient(settings_for(sim, password="nope"), now=clock.now)
    with pytest.raises(Permanent):
        await bad.kkts()
    await bad.aclose()
    other = OfdClient(settings_for(sim, inn="7800000000"), now=clock.now)
    with pytest.raises(Permanent):
        await other.kkts()
    await other.aclose()


async def test_429_waits_retry_after_then_gives_retry_later(sim, clock):
    sim.rate, sim.burst = 0.5, 1  # one call, then 2 s to the next token
    c = OfdClient(settings_for(sim, retries=1, max_retry_wait=0.0), now=clock.now)
    try:
        await c.kkts()
        with pytest.raises(RetryLater) as exc:
            await c.kkts()
        assert exc.value.after == 2.0
        clock.advance(seconds=2)
        await c.kkts()  # the bucket refilled
    finally:
        await c.aclose()


async def test_outage_is_retry_later_and_the_period_cap_is_enforced(sim, client, clock):
    sim.outage = True
    with pytest.raises(RetryLater):
        await client.kkts()
    sim.outage = False
    sim.take(ticket(1))
    with pytest.raises(UserError, match="30 дней"):
        await client._get("/kkt/0000000001002292/receipts", {
            "dateFrom": "2026-01-01T00:00:00", "dateTo": "2026-03-01T00:00:00"})


async def test_no_link_is_retry_later(clock: Clock):
    c = OfdClient(settings_for(OfdSimulator(port=1)), now=clock.now)
    with pytest.raises(RetryLater):
        await c.kkts()
    await c.aclose()
