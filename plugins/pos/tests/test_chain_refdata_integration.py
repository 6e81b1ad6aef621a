"""Reference packages across a real leaf link: a PostgreSQL centre hub publishes catalog
packages into POS_REF (its JetStream domain ``hub``), a SQLite store hub applies them
through its leaf nats-server, and the applied version comes back up to the centre; the leaf
is cut while version 2 is published and the store catches up once it is back
(``nox -s integration``)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from kassa.testing import eventually, make_hub
from kassa_pos.chain import lag, link, refdata_stream, service
from kassa_pos.chain.config import to_toml
from kassa_pos.chain.refdata import Package, applied_t, store_t
from kassa_pos.engine import store_tables
from kassa_pos.engine.catalog_import import CatalogData

# the chain's server helpers (hub with a leafnodes listener, the store's leaf), reused
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.anyio, pytest.mark.integration,
              pytest.mark.skipif(shutil.which("nats-server") is None, reason="no nats-server")]


def rows(prices: dict[str, str]) -> list[dict[str, Any]]:
    return [{"code": c, "name": f"Товар {c}", "vat": "20", "price": p}
            for c, p in prices.items()]


async def test_packages_reach_the_store_through_the_leaf_and_its_version_comes_back(
        servers, pg_url, tmp_path, monkeypatch):
    import kassa_pos

    monkeypatch.setattr(service, "WATCH_S", 0.5)
    _hub, leaf, hub_url, store_url = servers
    central = re.search(r'url: "([^"]+)"', leaf.conf.read_text())
    assert central is not None
    centre_cfg = {"store": {"url": pg_url}, "sites": [{"code": "S01", "name": "Ленина 5"}],
                  "pos": {"chain": {"nats": hub_url, "centre": True, "stores": ["S01"]}}}
    store_cfg = {"sites": [{"code": "S01"}],
                 "pos": {"store": "S01", "chain": {"nats": store_url, "interval": 0.3,
                                                   "central": central.group(1)}}}
    async with make_hub(store_cfg, tmp_path / "store", plugins=[kassa_pos]) as shop:
        await eventually(lambda: _online(shop), within=20)
        async with make_hub(centre_cfg, tmp_path / "centre", plugins=[kassa_pos]) as centre:
            conf = tmp_path / "centre.toml"  # the command's kassa.toml: the centre's own
            conf.write_text(to_toml(centre_cfg), encoding="utf-8")
            await _packages(shop, centre, leaf, hub_url, conf)


def _online(shop: Any) -> bool:
    state = link.link(shop)
    return state is not None and state.online


async def _packages(shop: Any, centre: Any, leaf: Any, hub_url: str, conf: Path) -> None:
    async def store_side() -> tuple[int, list[int], list[str]]:
        async with shop.engine.connect() as c:
            version = (await c.execute(sa.select(store_tables.catalog_version.c.version))
                       ).scalar_one()
            applied = [int(r.version) for r in await c.execute(
                sa.select(applied_t.c.version).order_by(applied_t.c.version))]
            items = sorted(r.code for r in await c.execute(sa.select(store_tables.item.c.code)))
        return int(version), applied, items

    async def centre_sees() -> int | None:
        async with centre.engine.connect() as c:
            v = (await c.execute(sa.select(store_t.c.version).where(
                (store_t.c.store == "S01") & (store_t.c.kind == "catalog")))).scalar()
        return None if v is None else int(v)

    async def publish(prices: dict[str, str]) -> int:
        nc = await service.connect(hub_url)
        try:
            version, parts = await refdata_stream.publish(
                centre.engine, nc.jetstream(), CatalogData(items=rows(prices)), ["S01"],
                now=centre.clock.now())
        finally:
            await nc.close()
        assert parts == 1
        return version

    async def publish_cli(prices: dict[str, str]) -> tuple[int, str]:
        import kassa_pos
        from click.testing import CliRunner
        from kassa.plugins import Plugins, new_manager, set_plugins
        from kassa_pos.chain.cli import group

        file = conf.with_name("catalog.json")
        file.write_text(json.dumps({"items": rows(prices)}), encoding="utf-8")
        # the command's plugins: the hub's (not every installed one, whose migrations this
        # centre's schema lacks); it runs its own event loop: in a thread, as from a shell
        set_plugins(Plugins(new_manager(entry_points=False, extra=[kassa_pos])))
        try:
            res = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(
                group(), ["refdata", "publish", str(file), "-c", str(conf)]))
        finally:
            set_plugins(None)
        return res.exit_code, res.output.strip()

    async def applied(n: int) -> bool:
        return (await store_side())[1][-1:] == [n]

    async def seen(n: int) -> bool:
        return await centre_sees() == n

    consumer = shop.state(link.OWNER)["service"].refs
    assert await publish_cli({"A1": "10.00", "A2": "20.00", "A3": "30.00"}) == (
        0, "каталог версии 1 отправлен магазинам S01 (частей на магазин: 1)")
    await eventually(lambda: applied(1), within=30)
    assert await store_side() == (1, [1], ["A1", "A2", "A3"])
    await eventually(lambda: seen(1), within=30)

    leaf.stop()  # the store cut off: version 2 waits in the centre's stream
    assert await publish({"A1": "11.00", "A3": "30.00"}) == 2
    await eventually(lambda: consumer.down, within=20)
    assert await store_side() == (1, [1], ["A1", "A2", "A3"])  # the store keeps version 1
    leaf.start()
    await eventually(lambda: applied(2), within=40)
    await eventually(lambda: seen(2), within=40)
    # once per package: the catalog's version moved twice, the consumer applied twice
    assert await store_side() == (2, [1, 2], ["A1", "A3"])
    assert consumer.applied == 2
    async with shop.engine.connect() as c:
        prices = dict((r.item_code, r.price) for r in await c.execute(
            sa.select(store_tables.price.c.item_code, store_tables.price.c.price)))
    assert prices == {"A1": 1100, "A3": 3000}
    data = await lag.stores(centre)
    [s01] = data["stores"]
    assert data["published"] == {"catalog": 2} and s01["ref"]["catalog"]["version"] == 2
    # the store's rules down the same way: the check book works by them at once
    from kassa_pos.engine.checkbook import CheckBook

    book = await CheckBook.of(shop)
    assert book.rights.identify("7777") is None
    rules = {"staff": [{"code": "9", "name": "Ольга", "role": "manager", "pin": "7777"}],
             "discounts": [{"name": "вечер", "kind": "check", "percent": "5"}]}
    nc = await service.connect(hub_url)
    try:
        assert (await refdata_stream.publish(centre.engine, nc.jetstream(), rules, ["S01"],
                                             now=centre.clock.now()))[0] == 1
    finally:
        await nc.close()

    async def olga() -> bool:
        return book.rights.identify("7777") is not None
    await eventually(olga, within=30)
    assert [d.name for d in book.settings.discounts] == ["вечер"]
    assert (await store_side())[0] == 2  # the catalog untouched by a rules package

    async def rules_seen() -> bool:
        async with centre.engine.connect() as c:
            v = (await c.execute(sa.select(store_t.c.version).where(
                (store_t.c.store == "S01") & (store_t.c.kind == "rules")))).scalar()
        return bool(v == 1)
    await eventually(rules_seen, within=30)
    # a store opened now gets the newest of each kind at once, from the bodies kept centrally
    nc = await service.connect(hub_url)
    try:
        js = nc.jetstream()
        assert await refdata_stream.send_latest(centre.engine, js, "S02") == [
            ("catalog", 2), ("rules", 1)]
        for kind, version in (("catalog", 2), ("rules", 1)):
            msg = await js.get_last_msg(refdata_stream.STREAM, f"pos.ref.S02.{kind}")
            assert Package.decode(msg.data).version == version
    finally:
        await nc.close()
    job = shop.supervisor.jobs["job pos chain outbox"]
    assert job.restarts == 0, job.last_error
