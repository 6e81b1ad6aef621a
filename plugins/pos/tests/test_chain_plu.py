"""The ``plu`` reference package without NATS: the centre's check of a PLU file, the store's
consumer against fake messages, and the applied table in the label scales through
``hub.devices.upload``: the Shtrih-Print emulators (kassa_scales) over real sockets hold the
PLUs, a redelivered package or a restart uploads nothing again, a newer version only what
changed, and a scale that is down takes the table once it is back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import kassa_pos
import kassa_scales
import pytest
from kassa.model import PluItem
from kassa.supervision import Backoff
from kassa.testing import eventually, make_hub
from kassa_pos.chain import plu, plu_upload, refdata_stream
from kassa_pos.chain.plu_upload import PluLoader
from kassa_pos.chain.refdata import PLU, Package, RefusedPackage, applied_version
from kassa_scales.sim import Curve, LabelScaleEmulator, ScaleSimulator

from .test_chain_refdata import Msg

pytestmark = pytest.mark.anyio


def rows(n: int = 6, **over: Any) -> list[dict[str, Any]]:
    """Weighed goods, deli and meat in turn; ``over`` changes fields of one code."""
    out = [{"code": 100 + i, "name": f"Колбаса докторская {i}", "price": 59900 + i,
            "department": "deli" if i % 2 else "meat", "shelf_life": 5, "tare": 10}
           for i in range(n)]
    for r in out:
        r.update(over.get(str(r["code"]), {}))
    return out


def package(version: int, items: list[dict[str, Any]]) -> Package:
    return Package.of_rules(plu.body_of(plu.items_of({"items": items})), version, PLU)


def msgs_of(pkg: Package, size: int = 10_000) -> list[Msg]:
    parts = refdata_stream.split(pkg.encode(), size)
    return [Msg(p, {"Kassa-Ref-Kind": pkg.kind, "Kassa-Ref-Version": str(pkg.version),
                    "Kassa-Ref-Part": str(n), "Kassa-Ref-Parts": str(len(parts))})
            for n, p in enumerate(parts, start=1)]


async def no_link(url: str) -> Any:
    raise OSError(f"{url}: not used here")


def emu(sim: ScaleSimulator) -> LabelScaleEmulator:
    e = sim.emulator
    assert isinstance(e, LabelScaleEmulator)
    return e


@pytest.fixture
async def scales() -> AsyncIterator[dict[str, ScaleSimulator]]:
    """Two label scales of store S01: deli and meat, each its department's goods."""
    sims = {name: ScaleSimulator(LabelScaleEmulator(curve=Curve.steady(500)), name=name,
                                 site="S01") for name in ("deli", "meat")}
    for s in sims.values():
        await s.start()
    yield sims
    for s in sims.values():
        await s.stop()


def store_config(sims: dict[str, ScaleSimulator]) -> dict[str, Any]:
    devices = [dict(s.fragment["scales"]["devices"][0]) | {
        "timeout": 0.3, "departments": [name],
        # the meat scale sells nothing dearer than 600 roubles a kilogram
        **({"max_price": 60000} if name == "meat" else {})} for name, s in sims.items()]
    return {"sites": [{"code": "S01", "scales": list(sims)}], "scales": {"devices": devices}}


def store_hub(sims: dict[str, ScaleSimulator], tmp_path: Path) -> Any:
    return make_hub(store_config(sims), tmp_path, plugins=[kassa_pos, kassa_scales],
                    backoff=Backoff(0.01, 0.05, device_poll=0.05))


async def take(cons: refdata_stream.RefConsumer, pkg: Package) -> list[Msg]:
    ms = msgs_of(pkg)
    for m in ms:
        await cons.take(m)
    return ms


def test_a_plu_file_reads_as_a_checked_body_and_a_bad_one_names_item_and_field(tmp_path):
    good = tmp_path / "plu.toml"
    good.write_text('[[items]]\ncode = 7\nname = "Сыр"\nprice = 80000\nplu = 3\n',
                    encoding="utf-8")
    body = plu.read(good)
    assert body["items"] == [{"code": 7, "name": "Сыр", "price": 80000, "plu": 3,
                              "department": "", "group": 0, "shelf_life": 0, "tare": 0,
                              "message": 0, "picture": 0}]
    assert plu.items_of(body) == [PluItem(code=7, name="Сыр", price=80000, plu=3)]
    cases = [
        (rows(3, **{"101": {"price": "599.00"}}),
         "позиция 2 (код 101): price — должно быть целым числом от 1"),
        (rows(3, **{"102": {"tare": 10_000}}),
         "позиция 3 (код 102): tare — должно быть целым числом от 0 до 9999"),
        (rows(2, **{"100": {"name": " "}}), "позиция 1 (код 100): name — пустое наименование"),
        (rows(2, **{"101": {"colour": "red"}}), "позиция 2 (код 101): colour — неизвестное"),
        (rows(2, **{"101": {"code": 100}}), "позиция 2 (код 100): code — код 100 уже у"),
        (rows(2, **{"101": {"plu": 100}}), "позиция 2 (код 101): plu — номер PLU 100 уже"),
        ([{"name": "Без кода", "price": 1}], "позиция 1 (код ?): code — не задано"),
        ([], "в таблице PLU нет товаров"),
    ]
    for items, says in cases:
        with pytest.raises(RefusedPackage) as err:
            plu.items_of({"items": items})
        assert str(err.value).startswith(says) and "\n" not in str(err.value), err.value
    with pytest.raises(RefusedPackage, match=r"^item 2 \(code 101\): price — must be"):
        plu.items_of({"items": rows(3, **{"101": {"price": 0}})}, "en")


def test_publish_refuses_a_bad_plu_file_in_one_sentence_and_sends_nothing(tmp_path):
    from click.testing import CliRunner
    from kassa_pos.chain.cli import group

    bad = tmp_path / "plu.json"
    bad.write_text(json.dumps({"items": rows(3, **{"101": {"price": -5}})}), encoding="utf-8")
    # no config at all: the file is refused before anything is read or connected
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "--kind", "plu",
                                       "-c", str(tmp_path / "missing.toml")])
    assert res.exit_code == 1
    line = res.output.strip().removeprefix("Error: ")
    assert line == ("позиция 2 (код 101): price — должно быть целым числом от 1; "
                    "ничего не отправлено")
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "--kind", "plu",
                                       "--locale", "en"])
    assert res.exit_code == 1
    assert "item 2 (code 101): price — must be a whole number from 1; nothing sent" in \
        res.output
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    res = CliRunner().invoke(group(), ["refdata", "publish", str(broken), "--kind", "plu"])
    assert res.exit_code == 1 and "broken.json" in res.output


def test_a_plu_package_round_trips_and_the_stores_line_shows_its_version():
    from kassa_pos.chain import console

    pkg = package(2, rows(3))
    assert Package.decode(pkg.encode()) == pkg and pkg.kind == "plu"
    raw = json.loads(pkg.encode())
    raw["body"]["items"][0]["price"] = 1  # changed on the way
    with pytest.raises(ValueError, match="digest does not match"):
        Package.decode(json.dumps(raw).encode())
    data = {"published": {"catalog": 1, "plu": 2}, "stores": [
        {"store": "S01", "name": "S01", "online": True, "silent_s": 0.2, "lag": 0,
         "offline_since": None, "last_at": None, "tills": [],
         "ref": {"catalog": {"version": 1, "applied_at": None},
                 "plu": {"version": 1, "applied_at": None}}}]}
    assert console.rows(data, "ru")[0][1] == "каталог 1/1, весы 1/2"
    assert console.rows(data, "en")[0][1] == "catalog 1/1, scales 1/2"


async def test_the_applied_table_is_in_each_label_scale_once(scales, tmp_path):
    deli, meat = emu(scales["deli"]), emu(scales["meat"])
    items = rows(6, **{"104": {"price": 95000}})  # meat, dearer than the meat scale sells
    async with store_hub(scales, tmp_path) as hub:
        assert hub.devices.label_scales(site="S01") == ["deli", "meat"]
        woke: list[int] = []
        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link,
                                          on_applied=lambda: woke.append(1))
        loader = PluLoader(hub, site="S01")
        assert await loader.sync() == {}  # nothing applied yet
        ms = await take(cons, package(1, items))
        assert [m.acked for m in ms] == [1] and woke == [1]
        assert await hub.write_sync(lambda c: applied_version(c, PLU)) == 1
        assert await loader.sync() == {"deli": "loaded", "meat": "loaded"}
        # each scale holds its department's goods; the meat scale left one out and said so
        assert sorted(deli.plus) == [101, 103, 105] and sorted(meat.plus) == [100, 102]
        assert deli.plus[101].name1 == "Колбаса докторская 1" and deli.plus[101].tare == 10
        assert (deli.writes, meat.writes) == (3, 2)
        state = hub.state(plu_upload.OWNER)
        assert state["meat"]["result"]["rejected"] == 1
        assert "цена 95000" in state["meat"]["result"]["rejects"]["104"]
        [told] = await hub.events(site="S01", kinds=["plu_rejected"])
        assert told.data["scale"] == "meat" and "код 104" in str(told.reason)
        # the same package again (a redelivery): acked, ignored, nothing uploaded
        again = await take(cons, package(1, items))
        assert again[0].acked == 1 and cons.applied == 1
        assert await loader.sync() == {}
        # a restarted store: the journal has both uploads, the scales are not called
        assert await PluLoader(hub, site="S01").sync() == {"deli": "loaded", "meat": "loaded"}
        assert (deli.writes, meat.writes) == (3, 2)
        # version 2: one price changed, one item gone, one new: only those are written
        newer = [*rows(6, **{"101": {"price": 61000}, "104": {"price": 95000}}),
                 {"code": 200, "name": "Ветчина", "price": 70000, "department": "deli"}]
        newer = [r for r in newer if r["code"] != 103]
        await take(cons, package(2, newer))
        assert await loader.sync() == {"deli": "loaded", "meat": "loaded"}
        assert sorted(deli.plus) == [101, 105, 200] and deli.plus[101].price == 61000
        assert sorted(meat.plus) == [100, 102]
        assert state["deli"]["result"]["sent"] == 2 and state["deli"]["result"]["deleted"] == 1
        assert state["meat"]["result"]["sent"] == 0
        assert (deli.writes, meat.writes) == (3 + 3, 2)
        entries = {e.key: e.status for e in await hub.journal.entries()}
        assert {k: v for k, v in entries.items() if k.startswith("plu:")} == {
            "plu:1:deli": "done", "plu:1:meat": "done", "plu:2:deli": "done",
            "plu:2:meat": "done"}


async def test_a_scale_that_is_down_takes_the_table_once_it_is_back(scales, tmp_path):
    deli = emu(scales["deli"])
    async with store_hub(scales, tmp_path) as hub:
        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link)
        port = scales["deli"].port
        await scales["deli"].stop()  # switched off: the package must not be lost
        await take(cons, package(1, rows(4)))
        assert await hub.write_sync(lambda c: applied_version(c, PLU)) == 1  # applied
        loader = PluLoader(hub, site="S01", interval=0.05)
        assert await loader.sync() == {"deli": "waiting", "meat": "loaded"}
        assert deli.plus == {} and "deli" not in loader.done
        async with anyio.create_task_group() as tg:
            tg.start_soon(loader.run)  # the store service's passes
            passes = loader.passes
            await eventually(lambda: loader.passes >= passes + 3, within=5)
            assert deli.plus == {}  # still off: tried, waiting
            back = ScaleSimulator(deli, name="deli", site="S01", port=port)
            await back.start()  # switched on again, same address
            try:
                await eventually(
                    lambda: hub.state(plu_upload.OWNER)["deli"]["state"] == "loaded",
                    within=10)
                assert sorted(deli.plus) == [101, 103] and deli.writes == 2
                tg.cancel_scope.cancel()
            finally:
                await back.stop()
        assert loader.done == {"deli": 1, "meat": 1}


async def test_a_scale_that_refuses_the_table_is_not_asked_again_until_the_next_version(
        scales, tmp_path):
    meat = emu(scales["meat"])
    async with store_hub(scales, tmp_path) as hub:
        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link)
        meat.max_price = 100  # the scale refuses what the checks let through
        await take(cons, package(1, rows(4)))
        loader = PluLoader(hub, site="S01")
        assert await loader.sync() == {"deli": "loaded", "meat": "refused"}
        assert "Неверная цена" in hub.state(plu_upload.OWNER)["meat"]["error"]
        assert [e.data["scale"] for e in await hub.events(
            site="S01", kinds=["plu_upload_failed"])] == ["meat"]
        assert await loader.sync() == {}  # the same version is not sent again
        meat.max_price = 99_999_99
        await take(cons, package(2, rows(4, **{"100": {"price": 60000}})))
        assert await loader.sync() == {"deli": "loaded", "meat": "loaded"}
        assert sorted(meat.plus) == [100, 102] and meat.plus[100].price == 60000
