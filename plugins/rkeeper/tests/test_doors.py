"""The push listener's doors over real sockets: the allow-list, the shared secret, the size
limit, and a listener that comes back as soon as its port is free."""

import logging
import os
import socket

import anyio
import httpx
import pytest
from kassa.secret import Secret
from kassa_rkeeper.sim import free_port
from kassa_rkeeper.source import RKeeperSource

from .conftest import Collector, running, settings_for

pytestmark = pytest.mark.anyio

STRANGER = "127.0.0.2"  # another machine on the network (the whole 127/8 is local on Linux)


def station_event(rest_code: str, guid: str, seq: int = 1) -> bytes:
    return (f'<StationEvent RestCode="{rest_code}" kind="unsaved_dish_deleted" guid="{{{guid}}}" '
            f'DateTime="2026-03-14T12:05:00" seq="{seq}"><Station id="15001" name="Касса 1"/>'
            '<Employee id="11" name="Иванова Анна"/></StationEvent>').encode()


def notice(rest_code: str, guid: str) -> bytes:
    return (f'<a RestCode="{rest_code}" DateTime="2026-03-14T12:00:00" Situation="2" '
            f'seqnumber="1" guid="{{{guid}}}" name="Stopped"><Station id="15002" '
            'name="Касса 2"/></a>').encode()


def client(local: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=local))


async def test_only_the_cash_server_and_the_allow_list_may_push(caplog):
    caplog.set_level(logging.WARNING)
    async with running(listen_host="0.0.0.0", poll_interval=30) as (sim, source, got):
        url = f"http://127.0.0.1:{source.listen_port}/rkeeper/notify"
        async with client(STRANGER) as http:
            for n in range(5):  # a forged station event from a stranger, again and again
                r = await http.post(url, content=station_event(sim.rest.code, f"F-{n}"))
                assert r.status_code == 403
        async with client() as http:  # the cash server itself (host = 127.0.0.1)
            assert (await http.post(url, content=notice(sim.rest.code, "N-1"))).status_code == 200
        assert not got.of("unsaved_dish_deleted") and got.of("station_stopped")
        refusals = [r for r in caplog.records if "refused a push" in r.getMessage()]
        assert len(refusals) == 1 and STRANGER in refusals[0].getMessage()  # rate-limited
        assert source.door.refused == 5


async def test_an_allowed_network_may_push():
    async with running(listen_host="0.0.0.0", allow=["127.0.0.0/30"], poll_interval=30) as (
            sim, source, got):
        url = f"http://127.0.0.1:{source.listen_port}/rkeeper/notify"
        async with client(STRANGER) as http:
            r = await http.post(url, content=station_event(sim.rest.code, "A-1"))
        assert r.status_code == 200 and got.of("unsaved_dish_deleted")


def test_a_bad_allow_entry_is_one_clear_config_error():
    import kassa_rkeeper
    from kassa.config import parse
    from kassa.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse({"sites": [{"code": "r1", "rkeeper": {"host": "h", "allow": ["10.0.0.300"]}}]},
              sections=kassa_rkeeper.register_settings())
    assert "sites[0].rkeeper" in str(err.value) and "'10.0.0.300'" in str(err.value)


async def test_the_shared_secret_guards_station_events(caplog):
    caplog.set_level(logging.DEBUG)
    secret = "tills-only-7f3a"
    async with running(listen_host="0.0.0.0", allow=[f"{STRANGER}/32"], secret=Secret(secret),
                       poll_interval=30, sim_kw={"station_secret": secret}) as (sim, source,
                                                                                got):
        url = f"http://127.0.0.1:{source.listen_port}/rkeeper/notify"
        async with client() as http:  # even from the cash server's own address
            r = await http.post(url, content=station_event(sim.rest.code, "S-1"))
            assert r.status_code == 403
            r = await http.post(url, content=station_event(sim.rest.code, "S-2"),
                                headers={"X-Kassa-Secret": "wrong"})
            assert r.status_code == 403
            # the notify driver cannot send a header: from the cash server it needs none
            assert (await http.post(url, content=notice(sim.rest.code, "N-1"))).status_code == 200
        async with client(STRANGER) as http:  # an allowed till forging the cash server
            assert (await http.post(url, content=notice(sim.rest.code, "N-2"))).status_code == 403
            r = await http.post(url + f"?secret={secret}", content=notice(sim.rest.code, "N-3"))
            assert r.status_code == 200
        assert not got.of("unsaved_dish_deleted")
        sim.rest.login(11, 15001)  # the simulated till's script sends the secret
        await got.wait_for("employee_login")
        ours = [r.getMessage() for r in caplog.records if r.name.startswith("kassa")]
        assert ours and not any(secret in m for m in ours)  # (httpx logs the test's own URL)


async def test_a_push_over_max_body_is_answered_413():
    async with running(max_body=2000, poll_interval=30) as (sim, source, got):
        url = f"http://127.0.0.1:{source.listen_port}/rkeeper/notify"
        big = station_event(sim.rest.code, "B-1").replace(b"</StationEvent>",
                                                          b"<Print>" + b"x" * 50000 + b"</Print>"
                                                          b"</StationEvent>")
        async with client() as http:
            r = await http.post(url, content=big)
            assert r.status_code == 413 and b"2000 bytes" in r.content

            async def chunks():  # no Content-Length: counted as it arrives
                for _ in range(10):
                    yield b"x" * 1000

            r = await http.post(url, content=chunks())
            assert r.status_code == 413
            r = await http.post(url, content=station_event(sim.rest.code, "B-2"))
            assert r.status_code == 200
        assert len(got.of("unsaved_dish_deleted")) == 1


async def test_the_listener_comes_back_as_soon_as_its_port_is_free(caplog):
    port = free_port()
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    async with running(poll_interval=0.1) as (sim, _, _got):
        source = RKeeperSource("r1b", settings_for(sim, listen_port=port))
        got = Collector()
        async with anyio.create_task_group() as tg:
            tg.start_soon(source.run, got)
            await anyio.sleep(2.5)  # a few attempts
            health = source.health()
            assert health["listening"] is False and health["online"] is False
            assert "cannot listen on 127.0.0.1" in health["listen_error"]
            assert f"already in use by pid {os.getpid()}" in health["listen_error"]  # who
            failures = [r for r in caplog.records if "cannot listen" in r.getMessage()]
            assert len(failures) == 1  # one line, not one per attempt
            alerts = got.of("push_listener_down")
            assert len(alerts) == 1 and alerts[0].severity == "warning"  # one per outage
            assert alerts[0].text == health["listen_error"]
            squatter.close()
            with anyio.fail_after(3):
                await source.ready.wait()
            assert source.health()["listening"] is True and source.listen_port == port
            with anyio.fail_after(3):
                while not source.health()["online"]:  # noqa: ASYNC110
                    await anyio.sleep(0.05)
            tg.cancel_scope.cancel()

