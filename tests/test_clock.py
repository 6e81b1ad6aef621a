"""One clock everywhere: the hub's injected clock (``kassa.testing.FakeClock`` here) stamps the
event log, the outbox, report periods and a plugin's ledger; nothing reads the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import kassa_bonus
import pytest
from kassa.reports.service import period_for
from kassa.store.tables import EventRow, OutboxRow
from kassa.testing import CaptureChannel, ComponentsPlugin, FakeClock, make_hub
from kassa_bonus import schema
from kassa_bonus.service import service_for
from sqlalchemy import select
from sqlmodel import col

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio
START = datetime(2030, 5, 17, 21, 30, tzinfo=UTC)  # years away from the wall clock


def utc(v: datetime) -> datetime:
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


async def test_a_fake_clock_drives_events_outbox_reports_and_plugins(tmp_path):
    clock = FakeClock(START)
    ch = CaptureChannel()
    plugins = [ComponentsPlugin(channels=[ch]), kassa_bonus]
    async with make_hub(CONFIG, tmp_path, plugins=plugins, clock=clock) as hub:
        assert await hub.emit(ev(key="a"))
        assert await hub.drain()
        async with hub.store.read() as conn:
            received = (await conn.execute(select(col(EventRow.received_at)))).scalar_one()
            rows = (await conn.execute(select(col(OutboxRow.created_at),
                                              col(OutboxRow.next_at)))).all()
        assert utc(received) == START
        assert rows and all(utc(c) == utc(n) == START for c, n in rows)
        assert len(ch.sent) == len(rows)  # due at the fake now, so delivered

        clock.advance(3600)
        today = await period_for(hub, "today", "s1", "en")
        assert today.start == datetime(2030, 5, 18, tzinfo=today.start.tzinfo)  # Moscow: +3
        assert today.start <= clock.now() < today.end

        svc = await service_for(hub)
        g = await svc.register("t", "g1", name="Anna")
        clock.advance(60)
        out = await svc.ledger.earn("t", "e1", await svc.guests.account_of(g.guest, "bonus"),
                                    100)
        assert out.at == START + timedelta(seconds=3660)
        async with hub.store.read() as conn:
            posted = (await conn.execute(select(schema.posting.c.created_at))).scalar_one()
            guest = (await conn.execute(select(schema.guest.c.created_at))).scalar_one()
        assert (posted, guest) == (START + timedelta(seconds=3660),
                                   START + timedelta(seconds=3600))


async def test_the_admin_api_and_a_source_read_the_hubs_clock(tmp_path):
    import httpx
    from kassa.config import SiteSettings
    from kassa_rkeeper.settings import RKeeperSettings
    from kassa_rkeeper.source import RKeeperSource

    clock = FakeClock(START)
    async with make_hub(CONFIG, tmp_path, clock=clock, api=True) as hub:
        assert await hub.emit(ev(key="a", occurred_at=START))
        assert await hub.emit(ev(key="b", occurred_at=START))
        assert await hub.drain()
        clock.advance(120)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.api_port}/api",
                                     headers={"Authorization": "Bearer test-token"}) as c:
            minutes = (await c.get("/stats/events_per_minute", params={"minutes": 5})).json()
            sites = (await c.get("/sites")).json()
        assert minutes["minutes"] == [0, 0, 2, 0, 0]  # received two minutes before the fake now
        assert next(s for s in sites if s["code"] == "s1")["events_today"] == 2

        site = SiteSettings(code="s1", timezone="Asia/Yekaterinburg")
        source = RKeeperSource(site.code, RKeeperSettings(host="127.0.0.1"), site.timezone,
                               hub=hub)
        assert source.now() == clock.now() and str(source.now().tzinfo) == site.timezone
