"""The admin API the console reads."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from kassa.model import Event
from kassa.testing import make_hub

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio


async def test_sites_counts_today_and_needs_the_token(tmp_path):
    now = datetime.now(UTC)
    async with make_hub(CONFIG, tmp_path, api=True) as hub:
        await hub.emit(ev(key="d", station="Касса 1", occurred_at=now))  # danger
        await hub.emit(Event.of(site="s1", kind="check_closed", source_key="c1",
                                occurred_at=now, amount=125_050, station="Касса 2"))
        await hub.emit(Event.of(site="s1", kind="check_deleted", source_key="c2",
                                occurred_at=now, amount=29_000))
        base = f"http://127.0.0.1:{hub.api_port}/api"
        async with httpx.AsyncClient() as c:
            assert (await c.get(f"{base}/sites")).status_code == 401
            got = (await c.get(f"{base}/sites",
                               headers={"Authorization": "Bearer test-token"})).json()
    s1 = next(s for s in got if s["code"] == "s1")
    assert (s1["checks_today"], s1["revenue_today"]) == (1, 125_050)
    assert s1["alerts_today"] == 2 and s1["events_today"] == 3
    assert s1["stations"] == ["Касса 1", "Касса 2"] and s1["online"] is True


def test_api_connections_do_not_wait_for_nagle():
    """Responses leave at once: the accepted connection has Nagle off and says it is TCP
    (asyncio only switches Nagle off on such sockets; before, every response waited ~40 ms)."""
    import socket

    from kassa.api.server import listening_socket

    server = listening_socket("127.0.0.1", 0)
    server.listen()
    with server, socket.create_connection(server.getsockname()):
        conn, _ = server.accept()
        with conn:
            assert conn.proto == socket.IPPROTO_TCP
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
