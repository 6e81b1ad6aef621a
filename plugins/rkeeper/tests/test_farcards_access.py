"""Who may reach the FarCards door: loopback by default, an allow-list of till addresses, a
till key as HTTP Basic (what ExtDllHTTP sends with BasicAuthentication=1) or in the path;
others get 401/403 in the call's envelope, nothing posted, and repeated refusals one alert.
Plus the door's settings and listener: one sentence for a bad value or a taken port."""

from __future__ import annotations

import logging
import socket

import anyio
import httpx
import pytest
from kassa.config import parse
from kassa.errors import ConfigError
from kassa.testing import make_hub
from kassa_rkeeper.farcards.routes import Routes
from kassa_rkeeper.farcards.settings import FarCardsSettings
from kassa_rkeeper.farcards.till import FarCardsTill, card_query_xml, parse_card_info

from .farcards_hub import KEY, farcards_hub

pytestmark = pytest.mark.anyio
QUERY = card_query_xml(7788200, 1, 1, None)


def test_the_door_binds_loopback_unless_told():
    assert FarCardsSettings().host == "127.0.0.1"
    assert FarCardsSettings().tills == []  # closed until a till key is set


@pytest.fixture(scope="module")
async def door(tmp_path_factory):
    async with farcards_hub(tmp_path_factory.mktemp("hub"), alert_after=3) as (hub, url, _):
        async with httpx.AsyncClient(timeout=10) as c:
            yield hub, url, c


@pytest.mark.parametrize("auth", [None, ("cash1", "wrong-key-0123456789"), ("cash2", KEY)])
async def test_no_or_a_wrong_key_is_401_in_the_calls_envelope(door, auth):
    _, url, c = door
    r = await c.post(f"{url}/getcardinfoex", content=QUERY, auth=auth)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    info = parse_card_info(r.content)
    assert info.locked and "нет ключа кассы" in info.why_lock and KEY not in r.text


async def test_basic_auth_and_a_key_in_the_path_are_let_in(door):
    _, url, c = door
    async with FarCardsTill(url, auth=("cash1", KEY)) as basic:
        assert (await basic.card_info(7788201)).result == 0
    async with FarCardsTill(f"{url}/{KEY}") as path:
        assert (await path.card_info(7788201)).result == 0
    r = await c.post(f"{url}/nope/getcardinfoex", content=QUERY)
    assert r.status_code == 401
    assert (await c.post(f"{url}/other", content=QUERY)).status_code == 404
    assert (await c.get(f"{url}/getcardinfoex")).status_code == 405


async def test_repeated_refusals_raise_one_alert_and_post_nothing(door, caplog):
    hub, url, c = door
    caplog.set_level(logging.WARNING, "kassa.rkeeper.farcards")
    before = len(await hub.events(kinds=["farcards_access_refused"]))
    body = (b'<?xml version="1.0" encoding="UTF-8"?><ROOT><Transactions><TransactionsEx '
            b'Card="7788202" Kind="2" Summa="5000000"/></Transactions><InpBuf/></ROOT>')
    for _ in range(5):
        r = await c.post(f"{url}/transactionsex", content=body)
        assert r.status_code == 401 and b'Result="1"' in r.content
    events = await hub.events(kinds=["farcards_access_refused"])
    assert before <= 1 and len(events) == 1  # one alert for the whole burst
    assert events[0].data["address"] == "127.0.0.1"
    assert [e.key for e in await hub.journal.entries() if "7788202" in e.key] == []
    assert sum("refused transactionsex" in r.getMessage() for r in caplog.records) <= 1


async def test_an_address_outside_the_allow_list_is_403(tmp_path):
    async with farcards_hub(tmp_path, allow=["10.9.9.0/24"]) as (_, url, _s):
        async with FarCardsTill(url, auth=("cash1", KEY)) as t:
            r = await t.post("getcardinfoex", QUERY, ok_only=False)
    assert r and t.last is not None and t.last.status_code == 403
    assert "адрес 127.0.0.1 не разрешён" in parse_card_info(r).why_lock


async def test_no_till_key_no_door(tmp_path, caplog):
    import kassa_rkeeper

    caplog.set_level(logging.INFO, "kassa.rkeeper.farcards")
    async with make_hub({"farcards": {}}, tmp_path, plugins=[kassa_rkeeper]) as hub:
        assert "farcards" not in hub.state("rkeeper")
        await anyio.sleep(0.2)
    assert "FarCards door closed: no till keys" in caplog.text


async def test_a_taken_port_is_one_clear_line_and_the_hub_runs_on(tmp_path, caplog):
    import kassa_rkeeper

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    config = {"farcards": {"port": port, "tills": [{"name": "r1", "key": KEY}]}}
    try:
        async with make_hub(config, tmp_path, plugins=[kassa_rkeeper]) as hub:
            door = hub.state("rkeeper")["farcards"]
            with anyio.fail_after(10):
                while door.error is None:  # noqa: ASYNC110 (the job's state)
                    await anyio.sleep(0.02)
    finally:
        holder.close()
    lines = [r.getMessage() for r in caplog.records
             if r.name == "kassa.rkeeper.farcards" and r.levelno >= logging.ERROR]
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("door", "says"), [
    ({"allow": ["10.0.0.300/24"]}, "is not an address or network"),
    ({"tills": [{"name": "r1", "key": "short"}]}, "at least 16 characters"),
    ({"tills": [{"name": "r1", "key": "a/b-0123456789abcdef"}]}, "without '/'"),
    ({"port": 70000}, "is not a TCP port"),
    ({"routes": [{"cards": ["99-1"]}]}, "is not a card range"),
    ({"routes": [{"cards": ["7x*"]}]}, "neither a range"),
])
def test_bad_door_settings_are_one_sentence(door, says):
    with pytest.raises(ConfigError, match=says) as err:
        parse({"farcards": door}, sections={"farcards": FarCardsSettings})
    assert "farcards" in str(err.value)


async def test_a_route_naming_a_missing_programme_is_a_clear_error(door):
    hub, _, _ = door
    cfg = parse({"farcards": {"routes": [{"cards": ["77*"], "program": "bonsu"}]}},
                sections={"farcards": FarCardsSettings}).plugins["farcards"]
    with pytest.raises(ConfigError, match=r"farcards.routes.0.: names loyalty programme "
                                          r"'bonsu', which no installed plugin provides"):
        Routes(hub, cfg)
    cfg.routes[0].program, cfg.routes[0].payment = "club", "purse"
    with pytest.raises(ConfigError, match="payment method 'purse'"):
        Routes(hub, cfg)
