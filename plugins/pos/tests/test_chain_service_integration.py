"""The chain's services inside real hubs: a store hub (SQLite) whose outbox service publishes
into its leaf nats-server, killed and restarted by the test, and a centre hub (PostgreSQL)
whose ingester service consumes CHAIN, watches the store's reach and raises site_offline /
site_online; the Stores screen's route on the centre (``nox -s integration``)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from kassa.supervision import Backoff
from kassa.testing import eventually, make_hub
from kassa_pos.chain import link, service
from kassa_pos.chain.ingest import doc_t
from kassa_pos.engine import pay_tables

pytestmark = [pytest.mark.anyio, pytest.mark.integration,
              pytest.mark.skipif(shutil.which("nats-server") is None, reason="no nats-server")]
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def sale(n: int) -> dict[str, object]:
    return {"check_id": f"c{n}", "key": f"k{n}", "site": "S01", "till": "S01-T1",
            "total": 100 * n, "change": 0, "issued_at": AT.replace(minute=n),
            "document": "{}", "receipt": "{}"}


def _link(hub: Any) -> Any:
    return link.link(hub)


async def test_a_store_hub_and_a_centre_hub_carry_sales_across_a_leaf_restart_and_alert_once(
        servers, pg_url, tmp_path, monkeypatch):
    import kassa_pos

    monkeypatch.setattr(service, "WATCH_S", 0.5)
    _hub, leaf, hub_url, store_url = servers
    centre_cfg = {"store": {"url": pg_url}, "sites": [{"code": "S01", "name": "Ленина 5"}],
                  "pos": {"chain": {"nats": hub_url, "centre": True, "stores": ["S01"],
                                    "offline_after": 6}}}
    store_cfg = {"sites": [{"code": "S01"}],
                 "pos": {"store": "S01", "chain": {"nats": store_url, "interval": 0.3}}}
    # the store first: its service makes its stream, which the centre's stream then sources
    # (a source whose stream is not there yet is retried by nats-server on its own backoff)
    async with make_hub(store_cfg, tmp_path / "store", plugins=[kassa_pos]) as shop:
        await eventually(lambda: _link(shop) is not None and _link(shop).online, within=20)
        async with make_hub(centre_cfg, tmp_path / "centre", plugins=[kassa_pos],
                            api=True) as centre:
            await _carry(shop, centre, leaf)


async def _carry(shop: Any, centre: Any, leaf: Any) -> None:
    from kassa.api.client import AdminClient

    async def stored() -> list[tuple[str, int]]:
        async with centre.engine.connect() as c:
            return [(r.doc_id, int(r.seq)) for r in await c.execute(
                sa.select(doc_t.c.doc_id, doc_t.c.seq).order_by(doc_t.c.seq))]

    async def alerts() -> list[str]:
        return [e.kind for e in await centre.events(
            site="S01", kinds=["site_offline", "site_online"])]

    async def sell(*ns: int) -> None:
        async with shop.store.write() as c:
            await c.execute(pay_tables.sale.insert(), [sale(n) for n in ns])

    await sell(1, 2)
    await eventually(lambda: _len_at_least(stored, 2), within=30)

    leaf.stop()  # the store's NATS is gone: the till sees it, the sales wait in SQLite
    await sell(3, 4)
    await eventually(lambda: not _link(shop).online and _link(shop).pending == 2,
                     within=20)
    assert "127.0.0.1" in _link(shop).error
    await eventually(lambda: _has(alerts, "site_offline"), within=30)

    leaf.start()
    await eventually(lambda: _link(shop).online and _link(shop).pending == 0, within=30)
    await eventually(lambda: _len_at_least(stored, 4), within=30)
    await eventually(lambda: _has(alerts, "site_online"), within=30)
    assert await stored() == [("sale:c1", 1), ("sale:c2", 2), ("sale:c3", 3),
                              ("sale:c4", 4)]  # once each, in the till's order
    assert await alerts() == ["site_offline", "site_online"]

    client = AdminClient(f"http://127.0.0.1:{centre.api_port}", centre.api_token)
    try:
        data = await client.request("GET", "/api/pos/chain/v1/stores")
    finally:
        await client.aclose()
    [s01] = data["stores"]
    assert (s01["store"], s01["name"], s01["online"], s01["lag"]) == (
        "S01", "Ленина 5", True, 0)
    assert [(t["till"], t["last_seq"]) for t in s01["tills"]] == [("S01-T1", 4)]
    assert s01["offline_since"] is None
    job = centre.supervisor.jobs["job pos chain centre"]
    assert job.restarts == 0, job.last_error


async def _len_at_least(probe: Any, n: int) -> bool:
    return len(await probe()) >= n


async def _has(probe: Any, kind: str) -> bool:
    return kind in await probe()


async def test_the_centres_postgresql_going_away_mid_sync_loses_and_doubles_nothing(
        servers, pg_url, tmp_path, monkeypatch):
    """PostgreSQL restarting under the centre, as its clients see it: every backend of the
    centre's database cut (pg_terminate_backend) again and again while sales arrive. The
    centre's batch dies with its connection before the ack, JetStream redelivers it, the
    supervisor restarts the job: every sale ends in PostgreSQL once, in the till's order."""
    import kassa_pos
    from sqlalchemy.ext.asyncio import create_async_engine

    monkeypatch.setattr(service, "WATCH_S", 0.5)
    _hub, _leaf, hub_url, store_url = servers
    # the centre's connections carry a name: only they are cut, not the test's own
    centre_cfg = {"store": {"url": f"{pg_url}&application_name=kassa-centre-test"},
                  "sites": [{"code": "S01"}],
                  "pos": {"chain": {"nats": hub_url, "centre": True, "stores": ["S01"]}}}
    store_cfg = {"sites": [{"code": "S01"}],
                 "pos": {"store": "S01", "chain": {"nats": store_url, "interval": 0.3}}}
    admin = create_async_engine(pg_url.split("?", 1)[0])

    async def cut() -> int:
        async with admin.connect() as c:
            got = await c.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'kassa-centre-test'"))
            return int(got.scalar() or 0)

    try:
        async with make_hub(store_cfg, tmp_path / "store", plugins=[kassa_pos]) as shop:
            await eventually(lambda: _link(shop) is not None and _link(shop).online,
                             within=20)
            # restarts a second apart at most: the test is about what survives, not waiting
            async with make_hub(centre_cfg, tmp_path / "centre", plugins=[kassa_pos],
                                backoff=Backoff(0.2, 1.0)) as centre:
                async def stored() -> list[tuple[str, int]]:
                    async with centre.engine.connect() as c:
                        return [(r.doc_id, int(r.seq)) for r in await c.execute(
                            sa.select(doc_t.c.doc_id, doc_t.c.seq).order_by(doc_t.c.seq))]

                async def sell(*ns: int) -> None:
                    async with shop.store.write() as c:
                        await c.execute(pay_tables.sale.insert(), [sale(n) for n in ns])

                await sell(1, 2)
                await eventually(lambda: _len_at_least(stored_safe(stored), 2), within=30)
                killed = 0
                for n in range(3, 13):  # sales arrive while the database keeps going away
                    await sell(n)
                    killed += await cut()
                    await anyio.sleep(0.3)
                assert killed > 0  # the centre's connections were there to cut
                await eventually(lambda: _len_at_least(stored_safe(stored), 12), within=60)
                assert await stored() == [(f"sale:c{n}", n) for n in range(1, 13)]
    finally:
        await admin.dispose()


def stored_safe(probe: Any) -> Any:
    """The probe, with a connection the test itself cut read as 'not yet'."""
    async def safe() -> list[tuple[str, int]]:
        try:
            result: list[tuple[str, int]] = await probe()
        except sa.exc.DBAPIError:
            return []
        return result
    return safe
