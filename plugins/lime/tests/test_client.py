"""The client against the simulator over a real socket: the token's life, 401, shifts,
cards, PutCheck and the three kinds of failure."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from kassa.secret import Secret
from kassa_lime.client import LimeAuthFailed, LimeClient, LimeNoAnswer, LimeRefused, LimeUnreachable
from kassa_lime.sim import PASSWORD, USERNAME, LimeSimulator

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def sim() -> AsyncIterator[LimeSimulator]:
    s = LimeSimulator()
    await s.start()
    yield s
    await s.stop()


def client(sim: LimeSimulator, password: str = PASSWORD, **kw: object) -> LimeClient:
    return LimeClient(sim.url, username=USERNAME, password=Secret(password), **kw)  # type: ignore[arg-type]


async def test_one_token_serves_many_calls(sim: LimeSimulator) -> None:
    c = client(sim)
    for _ in range(3):
        assert (await c.card_info(79, uid="7799000")) is not None
    assert c.token_requests == 1 and sim.app.token_grants == 1
    await c.aclose()


async def test_an_expiring_token_is_refreshed_before_it_expires(sim: LimeSimulator) -> None:
    clock = Clock()
    c = client(sim, clock=clock)
    await c.card_info(79, uid="7799000")
    first = c.refresh
    clock.t += 3600  # past expires_in less the margin
    await c.card_info(79, uid="7799000")
    assert c.token_requests == 2 and c.refresh != first
    assert first is not None and first.reveal() not in sim.app.refresh, "refresh grant used"
    await c.aclose()


async def test_a_401_refreshes_once_and_the_call_goes_through(sim: LimeSimulator) -> None:
    c = client(sim)
    await c.card_info(79, uid="7799000")
    sim.app.expire_tokens()
    info = await c.card_info(79, uid="7799000")
    assert info is not None and c.token_requests == 2
    await c.aclose()


async def test_a_token_refused_even_after_the_refresh_is_an_auth_failure(
        sim: LimeSimulator) -> None:
    sim.app.token_ttl = 0  # every token is stale at once
    c = client(sim)
    with pytest.raises(LimeAuthFailed):
        await c.card_info(79, uid="7799000")
    assert c.token_requests == 2, "one refresh, not a loop"
    await c.aclose()


async def test_a_lost_refresh_token_falls_back_to_the_password(sim: LimeSimulator) -> None:
    clock = Clock()
    c = client(sim, clock=clock)
    await c.card_info(79, uid="7799000")
    sim.app.refresh.clear()
    clock.t += 7200
    assert await c.card_info(79, uid="7799000") is not None
    assert c.token_requests == 3  # refresh refused, then the password grant
    await c.aclose()


async def test_wrong_password_is_an_auth_failure_and_never_printed(sim: LimeSimulator) -> None:
    c = client(sim, password="not-it")
    with pytest.raises(LimeAuthFailed) as err:
        await c.card_info(79, uid="7799000")
    assert "not-it" not in str(err.value) and "not-it" not in repr(c.password)
    await c.aclose()


async def test_card_rights_and_an_unknown_card(sim: LimeSimulator) -> None:
    c = client(sim)
    info = await c.card_info(79, uid="7799000")
    assert info is not None and info.id == 777 and info.holder == "Гость 1"
    assert [(r.id, r.name, r.amount) for r in info.rights] == [(555, "Депозит", 500000),
                                                               (556, "Бонусы", 30000)]
    assert info.rights[0].to is not None and info.rights[0].to.tzinfo is not None
    assert info.rights[0].usable(datetime(2026, 12, 2, tzinfo=info.rights[0].to.tzinfo))
    assert await c.card_info(79, uid="nobody") is None
    with pytest.raises(LimeRefused) as err:
        await c.card_info(1, uid="7799000")
    assert err.value.code == "installation_not_found"
    await c.aclose()


async def test_the_shift_is_opened_once_per_cashdesk(sim: LimeSimulator) -> None:
    c = client(sim)
    assert await c.shift(210) is None
    opened = await c.ensure_shift(210)
    again = await c.ensure_shift(210)
    assert opened["id"] == again["id"] and again["open"]
    await c.aclose()


async def test_unreachable_and_lost_answer_differ(sim: LimeSimulator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = LimeClient(f"http://127.0.0.1:{port}", username=USERNAME, password=Secret(PASSWORD))
    with pytest.raises(LimeUnreachable):
        await dead.card_info(79, uid="7799000")
    await dead.aclose()
    c = client(sim)
    await c.ensure_shift(210)
    number = await c.next_check_id(210)
    sim.app.drop = 1
    body = {"check": {"id": number, "installationId": 79, "cashdeskId": 210,
                      "time": "2026-12-02T12:00:00", "type": 0},
            "entries": [{"entry": {"count": 1, "price": "10.00", "basePrice": "10.00",
                                   "goodTypeId": 42},
                         "payments": [{"amount": "10.00", "transactionReference": ""}]}]}
    with pytest.raises(LimeNoAnswer):
        await c.put_check(body)
    assert sim.model.put_checks == 1, "applied: only the answer was lost"
    sim.app.outage = True
    with pytest.raises(LimeUnreachable):
        await c.put_check(body)
    await c.aclose()
