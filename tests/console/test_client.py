"""The admin API client against the fake hub over a real socket."""

from __future__ import annotations

import asyncio

import pytest
from kassa.api.client import AdminClient, ApiError, HubUnavailable
from kassa.api.records import EventRecord
from kassa.model import Event

from .conftest import T0, TOKEN
from .fakehub import FakeHub, serve

pytestmark = pytest.mark.anyio


async def test_typed_answers(hub_url: str) -> None:
    client = AdminClient(hub_url, TOKEN)
    try:
        sites = await client.sites()
        assert [s.code for s in sites] == ["msk1", "spb2"]
        assert sites[0].revenue_today == 4566050 and sites[1].online is False
        assert sites[0].since is not None and sites[0].since.utcoffset() is not None
        events = await client.events(employee="сидоров")
        assert [r.event.id for r in events] == ["ev05", "ev04"]  # newest first
        detail = await client.event("ev01")
        assert detail.event.lines[0].name == "Борщ" and len(detail.messages) == 1
        assert detail.messages[0].buttons[0][0].text == "Подробнее"
        rep = await client.report("sales_by_hour", site=None, period="today")
        assert rep.totals == (None, 10, 566050) and rep.chart is not None
        assert (await client.outbox()).dead == 1
    finally:
        await client.aclose()


async def test_errors_are_for_people(hub_url: str, fake_hub: FakeHub) -> None:
    client = AdminClient(hub_url, "wrong")
    with pytest.raises(ApiError, match="bad or missing token") as err:
        await client.sites()
    assert err.value.status == 401
    await client.aclose()
    client = AdminClient(hub_url, TOKEN)
    with pytest.raises(ApiError) as err:
        await client.retry(999)
    assert err.value.status == 404
    with pytest.raises(ApiError, match="is sent"):
        await client.retry(1)
    await client.retry(3)
    assert fake_hub.messages[2]["status"] == "pending"
    with pytest.raises(ApiError, match="unknown period"):
        await client.report("sales_by_hour", site=None, period="fortnight")
    await client.aclose()


async def test_token_never_shows() -> None:
    client = AdminClient("http://127.0.0.1:9", TOKEN, retries=1)
    assert TOKEN not in repr(client)
    with pytest.raises(HubUnavailable) as err:
        await client.health()
    assert TOKEN not in str(err.value) and "127.0.0.1:9" in str(err.value)
    await client.aclose()


async def test_stream_reconnects_without_gaps_or_repeats(fake_hub: FakeHub) -> None:
    """Kill the hub mid-stream, emit while it is down, bring it back on the same port:
    every event arrives once, in order, and the link state goes down and up."""
    states: list[bool] = []
    got: list[EventRecord] = []
    async with serve(fake_hub) as url:
        port = int(url.rsplit(":", 1)[1])
        client = AdminClient(url, TOKEN)
        stream = client.stream_events(on_state=states.append)

        async def consume() -> None:
            async for rec in stream:
                got.append(rec)

        task = asyncio.create_task(consume())
        await _until(lambda: states == [True])
        fake_hub.emit(_event("live1"))
        await _until(lambda: len(got) == 1)
    fake_hub.emit(_event("missed"))  # while the hub is away
    await _until(lambda: states == [True, False])
    async with serve(fake_hub, port=port):
        await _until(lambda: states == [True, False, True], within=10)
        fake_hub.emit(_event("live2"))
        await _until(lambda: len(got) == 3)
    task.cancel()
    await client.aclose()
    assert [r.event.source_key for r in got] == ["live1", "missed", "live2"]
    assert [r.seq for r in got] == [7, 8, 9]


def _event(key: str) -> Event:
    return Event.of(site="msk1", kind="check_closed", source_key=key, occurred_at=T0, amount=1)


async def _until(cond, within: float = 10.0) -> None:
    for _ in range(int(within / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")
