"""A check's idempotency key stands for the whole request (issue 11): an exact replay returns
the original result whatever changed since, and the same key with another check is refused,
over the REST API and through the LoyaltyProgram."""

from __future__ import annotations

import httpx
import kassa_bonus
import pytest
from kassa.model import Order, OrderLine
from kassa_bonus.service import service_for
from kassa_bonus.store import LedgerError
from litestar import Litestar

from plugins.bonus.tests.conftest import api_settings, asgi_transport

pytestmark = pytest.mark.anyio
W = {"X-Api-Key": "site-key-123"}
SOUP = [{"code": "soup", "amount": 10000}]
SOUP_AND_TEA = [{"code": "soup", "amount": 6000}, {"code": "tea", "amount": 4000}]


@pytest.fixture
async def client(hub):
    hub._bonus = api_settings()
    app = Litestar(route_handlers=kassa_bonus.register_routes(hub), logging_config=None)
    async with httpx.AsyncClient(transport=asgi_transport(app),
                                 base_url="http://t/api/bonus/v1") as c:
        yield c


def idem(key: str) -> dict[str, str]:
    return {**W, "Idempotency-Key": key}


async def guest_with(client, points: int) -> str:
    g = (await client.post("/guests", json={"name": "Anna"}, headers=idem("g"))).json()
    bal = (await client.get(f"/guests/{g['guest_id']}/balances", headers=W)).json()
    acc = next(a["id"] for a in bal["accounts"] if a["kind"] == "bonus")
    if points:
        assert (await client.post("/earn", json={"account": acc, "amount": points},
                                  headers=idem("e"))).status_code == 201
    return str(g["guest_id"])


async def test_a_replayed_check_that_spent_points_returns_the_original_answer(client):
    gid = await guest_with(client, 600)
    body = {"guest_id": gid, "number": "1", "spend": 600, "lines": SOUP}
    first = await client.post("/checks", json=body, headers=idem("chk-1"))
    assert first.status_code == 201 and first.json()["spent"] == 600
    # the 600 points are gone now: checked again, the spend limit would refuse the replay
    again = await client.post("/checks", json=body, headers=idem("chk-1"))
    assert (again.status_code, again.json()) == (201, first.json())
    bal = (await client.get(f"/guests/{gid}/balances", headers=W)).json()
    assert next(a for a in bal["accounts"] if a["kind"] == "bonus")["balance"] == \
        first.json()["earned"]  # spent once, earned once


async def test_the_same_key_with_other_lines_but_equal_totals_is_refused(client):
    gid = await guest_with(client, 0)
    first = await client.post("/checks", json={"guest_id": gid, "number": "1", "lines": SOUP},
                              headers=idem("chk-2"))
    assert first.status_code == 201
    other = await client.post("/checks", json={"guest_id": gid, "number": "1",
                                               "lines": SOUP_AND_TEA}, headers=idem("chk-2"))
    assert other.status_code == 409
    assert other.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "idempotency key 'chk-2' was already used for another request"}


def order(*lines: tuple[str, int]) -> Order:
    return Order(site="cafe", number="7", total=sum(a for _, a in lines), lines=tuple(
        OrderLine(code=c, name=c, quantity=1, price=a, amount=a) for c, a in lines))


async def test_loyalty_program_replays_and_refuses_alike(hub):
    [program] = kassa_bonus.register_loyalty_programs(hub)
    svc = await service_for(hub)
    g = await svc.register("t", "g1", name="Anna")
    await svc.ledger.earn("t", "e1", await svc.guests.account_of(g.guest, "bonus"), 600)
    guest = await svc.guest(g.guest)
    check = order(("soup", 10000))
    quote = await program.quote(check, guest)
    first = await program.commit(check, quote, "k1", 600)
    assert first.spent == 600
    requote = await program.quote(check, guest)  # the till quotes again before retrying
    assert requote.bonus_spend_max < 600
    assert await program.commit(check, requote, "k1", 600) == first
    with pytest.raises(LedgerError) as err:
        await program.commit(order(("soup", 6000), ("tea", 4000)), requote, "k1", 0)
    assert err.value.code == "idempotency_key_reused"
    with pytest.raises(LedgerError) as err:  # a new key is checked against today's limit
        await program.commit(check, requote, "k2", 600)
    assert err.value.code == "spend_over_limit"


async def test_a_check_committed_before_whole_request_keys_is_still_replayed(hub):
    """The version before hashed the amounts derived from the check: a till retrying across
    the upgrade gets the posting it was given, not a refusal."""
    from kassa_bonus import rules

    [program] = kassa_bonus.register_loyalty_programs(hub)
    svc = await service_for(hub)
    g = await svc.register("t", "g1", name="Anna")
    acc = await svc.guests.account_of(g.guest, "bonus")
    await svc.ledger.earn("t", "e1", acc, 600)
    guest = await svc.guest(g.guest)
    check = order(("soup", 10000))
    quote = await program.quote(check, guest)
    old = await svc.ledger.checkout(  # exactly what the old commit wrote
        "loyalty", "k-old", acc, spend=200, earn=rules.earn_after_spend(quote, 200, 10000),
        expires_at=svc.lot_expiry(), site=check.site, order_ref=check.number)
    replay = await program.commit(check, quote, "k-old", 200)
    assert (replay.id, replay.spent) == (old.operation, 200)
    with pytest.raises(LedgerError) as err:  # other amounts under the old key: refused (its
        await program.commit(check, quote, "k-old", 100)  # lines were never recorded)
    assert err.value.code == "idempotency_key_reused"
