"""Shtrih-Print label scales: the emulator with byte fixtures from the source, PLU
validation and distribution, DIFF upload, and the upload through hub.devices' journal."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import kassa_scales
import pytest
from kassa.errors import Permanent, RetryLater
from kassa.model import Health, PluItem
from kassa.testing import ScaleContract, make_hub
from kassa_scales import shtrih_print as sp
from kassa_scales.label import LabelScale
from kassa_scales.plu import CatalogueItem, table_for
from kassa_scales.sim import Curve, LabelScaleEmulator, ScaleSimulator
from kassa_scales.sim.label import weight_barcode

pytestmark = pytest.mark.anyio
PWD = b"0030"


def items(n: int = 5, **kw: Any) -> list[CatalogueItem]:
    return [CatalogueItem(code=100 + i, name=f"Колбаса докторская {i}", price=59900 + i,
                          department="deli" if i % 2 else "meat", group=i % 3, **kw)
            for i in range(n)]


def test_set_plu_frame_is_the_sources() -> None:
    # CmdSetScaleGoodItem: super(0x37, 7, {pwd, goodItem}, sync) -> 03 07 37 '0030' u16 LE
    assert sp.command(sp.SET_PLU, PWD + struct.pack("<H", 1)) == bytes.fromhex(
        "03 07 37 30 30 33 30 01 00")
    # CmdGetScaleWeight: 0x38, size 5 (cmd + password)
    assert sp.command(sp.GET_WEIGHT, PWD)[1:] == bytes.fromhex("05 38 30 30 33 30")


def test_emulator_enforces_password_plu_range_and_fixed_weight() -> None:
    emu = LabelScaleEmulator(table_size=100, curve=Curve(start=0).noise(500, 60))
    assert emu.feed(sp.command(sp.SET_PLU, b"1111" + struct.pack("<H", 1))) == sp.answer(
        sp.SET_PLU, 122)
    assert sp.parse(emu.feed(sp.command(sp.SET_PLU, PWD + struct.pack("<H", 101))))[1] == 128
    assert sp.parse(emu.feed(sp.command(sp.SET_PLU, PWD + struct.pack("<H", 5))))[1] == 140
    assert sp.parse(emu.feed(sp.command(sp.GET_WEIGHT, PWD)))[1] == 152
    assert sp.parse(emu.feed(sp.command(0x99, PWD)))[1] == 120
    assert sp.parse(emu.feed(bytes([0x03, 0x02, sp.SET_PLU, 0x30])))[1] == 121
    for _ in range(10):
        emu.feed(sp.command(sp.GET_WEIGHT, b"9999"))
    assert sp.parse(emu.feed(sp.command(sp.GET_WEIGHT, PWD)))[1] == 170


def test_emulator_prints_a_label() -> None:
    emu = LabelScaleEmulator(curve=Curve.steady(1234), prefix=21)
    rec = sp.Plu(number=7, code=4321, name1="Сыр", price=80000, tare=34)
    assert emu.feed(sp.command(sp.WRITE_PLU, PWD + sp.encode_plu(rec))) == sp.answer(
        sp.WRITE_PLU)
    bad = sp.Plu(number=8, code=1, name1="Сыр", price=0)
    assert sp.parse(emu.feed(sp.command(sp.WRITE_PLU, PWD + sp.encode_plu(bad))))[1] == 131
    emu.feed(sp.command(sp.SET_PLU, PWD + struct.pack("<H", 7)))
    label = emu.print_label()
    assert label["grams"] == 1200 and label["cost"] == 96000
    assert label["barcode"] == weight_barcode(21, 4321, 1200) == "2104321012000"[:12] + \
        label["barcode"][-1] and len(label["barcode"]) == 13


def test_validation_and_distribution() -> None:
    from kassa_scales.settings import ScaleSettings

    s = ScaleSettings(name="l", protocol="shtrih_print", host="h", departments=["deli"],
                      plu_table_size=1000, max_price=100000)
    bad = [CatalogueItem(code=1, name="Ok", price=100, department="deli"),
           CatalogueItem(code=2, name="Too dear", price=100001, department="deli"),
           CatalogueItem(code=3, name="Big", price=1, plu=1001, department="deli"),
           CatalogueItem(code=4, name="x" * 57, price=1, department="deli"),
           CatalogueItem(code=5, name="Emoji 🍖", price=1, department="deli"),
           CatalogueItem(code=6, name="Dup", price=1, plu=1, department="deli"),
           CatalogueItem(code=100000, name="Code", price=1, plu=9, department="deli"),
           CatalogueItem(code=7, name="Other dept", price=1, department="meat")]
    t = table_for(bad, s)
    assert [p.code for p in t.plus] == [1]
    assert set(t.rejected) == {2, 3, 4, 5, 6, 100000}
    assert "цена" in t.rejected[2] and "CP1251" in t.rejected[5]
    long = table_for([CatalogueItem(code=9, name="Колбаса варёная докторская высший сорт ГОСТ",
                                    price=1, department="deli")], s)
    assert long.plus[0].name1 and long.plus[0].name2


@pytest.fixture
async def sim() -> AsyncIterator[ScaleSimulator]:
    s = ScaleSimulator(LabelScaleEmulator(curve=Curve.steady(800)), name="label")
    await s.start()
    yield s
    await s.stop()


def emu(sim: ScaleSimulator) -> LabelScaleEmulator:
    e = sim.emulator
    assert isinstance(e, LabelScaleEmulator)
    return e


async def test_diff_upload_sends_only_changes(sim: ScaleSimulator, tmp_path: Path) -> None:
    scale = LabelScale(sim.settings(), data_dir=tmp_path)
    await scale.start()
    t1 = table_for(items(5), scale.settings)
    r1 = await scale.upload(t1, key="u1")
    assert r1["sent"] == 5 and set(emu(sim).plus) == {p.number for p in t1.plus}
    changed = [*items(5)[:4], CatalogueItem(code=104, name="Новая", price=1000)]
    r2 = await scale.upload(table_for(changed[1:], scale.settings), key="u2")
    assert (r2["sent"], r2["deleted"]) == (1, 1) and r2["bytes"] < r1["bytes"]
    assert emu(sim).plus[104].name1 == "Новая" and 100 not in emu(sim).plus
    again = LabelScale(sim.settings(), data_dir=tmp_path)  # a restart reads the version
    assert again.status().detail["plu_version"] == r2["version"]
    assert (await again.upload(table_for(changed[1:], again.settings), key="u3"))["sent"] == 0
    assert (await again.upload(table_for(changed[1:], again.settings), key="u4",
                               full=True))["sent"] == 4
    await scale.stop()


async def test_rejected_plu_alerts_and_degrades(sim: ScaleSimulator, tmp_path: Path) -> None:
    events: list[Any] = []
    hub = type("H", (), {"emit": staticmethod(lambda e: _append(events, e))})()
    scale = LabelScale(sim.settings(), hub=hub, data_dir=tmp_path)
    await scale.start()
    emu(sim).max_price = 100  # the scale refuses what our validation let through
    with pytest.raises(Permanent, match="Неверная цена"):
        await scale.upload(table_for(items(2), scale.settings), key="u1")
    assert scale.status().health is Health.DEGRADED
    assert [e.kind for e in events] == ["plu_upload_failed"]
    await scale.stop()


async def _append(events: list[Any], e: Any) -> None:
    events.append(e)


async def test_garbage_and_silence(sim: ScaleSimulator, tmp_path: Path) -> None:
    scale = LabelScale(sim.settings(), data_dir=tmp_path)
    await scale.start()
    emu(sim).garbage = 1
    with pytest.raises(RetryLater, match="непонятный ответ"):
        await scale.read()
    assert scale.status().health is Health.DOWN
    assert (await scale.read()).grams == 800 and scale.status().health is Health.OK
    await scale.stop()


def config(sim: ScaleSimulator, tmp_path: Path) -> dict[str, Any]:
    device = dict(sim.fragment["scales"]["devices"][0]) | {"timeout": 0.5}
    return {"sites": [{"code": "s1", "scales": ["label"]}], "scales": {"devices": [device]}}


async def test_upload_through_the_journal_is_once_per_key(sim: ScaleSimulator,
                                                          tmp_path: Path) -> None:
    async with make_hub(config(sim, tmp_path), tmp_path, plugins=[kassa_scales]) as hub:
        (scale,) = list(hub.devices)
        table = table_for(items(20), scale.settings)
        r1 = await hub.devices.upload(table, key="plu-2026-12-02", site="s1",
                                      request={"version": table.version})
        writes = emu(sim).writes
        r2 = await hub.devices.upload(table, key="plu-2026-12-02", site="s1",
                                      request={"version": table.version})
        assert r1 == r2 and emu(sim).writes == writes == 20
        assert (await hub.devices.read_weight(site="s1")).grams == 800
        assert scale.status().detail["plu_version"] == table.version


async def make_label(tmp_path: Path) -> LabelScale:
    sim = ScaleSimulator(LabelScaleEmulator(curve=Curve.steady(250)), name="label")
    await sim.start()
    scale = LabelScale(sim.settings(), data_dir=tmp_path)
    stop = scale.stop

    async def stop_both() -> None:
        await stop()
        await sim.stop()

    scale.stop = stop_both  # type: ignore[method-assign]
    return scale


class TestLabelScaleContract(ScaleContract):
    make_device = staticmethod(make_label)


# -- the core's neutral PluItem rows (the chain's plu package) -----------------------------

def plu_items(n: int = 5) -> list[PluItem]:
    return [PluItem(code=100 + i, name=f"Сыр {i}", price=80000 + i, tare=5,
                    department="deli" if i % 2 else "meat") for i in range(n)]


async def test_core_plu_items_become_the_scales_own_table(sim: ScaleSimulator,
                                                          tmp_path: Path) -> None:
    events: list[Any] = []
    hub = type("H", (), {"emit": staticmethod(lambda e: _append(events, e))})()
    scale = LabelScale(sim.settings(departments=["deli"], max_price=80002), hub=hub,
                       data_dir=tmp_path)
    await scale.start()
    items = plu_items(5)  # deli: 101, 103 (too dear for this scale); meat: not its goods
    r1 = await scale.upload(items, key="v1")
    assert sorted(emu(sim).plus) == [101] and emu(sim).plus[101].tare == 5
    assert (r1["sent"], r1["rejected"]) == (1, 1) and "цена 80003" in r1["rejects"]["103"]
    assert scale.status().detail["plu_rejected"] == 1
    assert scale.status().health is Health.OK  # what it holds is right; the rest is told
    [told] = events
    assert told.kind == "plu_rejected" and told.data["rejects"] == r1["rejects"]
    assert "код 103" in told.reason
    # the same rows as a PluTable: the old path, the same table, nothing sent again
    same = table_for(items, scale.settings)
    assert same.version == r1["version"]
    assert (await scale.upload(same, key="v2"))["sent"] == 0
    assert len({e.source_key for e in events}) == 1  # one alert per table version
    await scale.stop()


async def test_the_sites_label_scales_and_one_back_from_an_outage(tmp_path: Path) -> None:
    from kassa.supervision import Backoff
    from kassa_scales.sim import emulator_for

    label = ScaleSimulator(LabelScaleEmulator(curve=Curve.steady(800)), name="label")
    counter = ScaleSimulator(emulator_for("mtsics", Curve.steady(300)), name="counter")
    await label.start()
    await counter.start()
    devices = [dict(s.fragment["scales"]["devices"][0]) | {"timeout": 0.3}
               for s in (label, counter)]
    cfg = {"sites": [{"code": "s1"}], "scales": {"devices": devices}}
    try:
        async with make_hub(cfg, tmp_path, plugins=[kassa_scales],
                            backoff=Backoff(0.01, 0.05, device_poll=0.05)) as hub:
            # the site names none: every installed scale that takes a PLU table
            assert hub.devices.label_scales(site="s1") == ["label"]
            await label.stop()  # switched off
            with pytest.raises(RetryLater):
                await hub.devices.upload(plu_items(2), key="plu:1:label", site="s1",
                                         scale="label", request={"version": 1})
            back = ScaleSimulator(label.emulator, name="label", port=label.port)
            await back.start()
            try:
                with anyio.fail_after(5):
                    while True:
                        try:
                            r = await hub.devices.upload(plu_items(2), key="plu:1:label",
                                                         site="s1", scale="label",
                                                         request={"version": 1})
                            break
                        except RetryLater:
                            await anyio.sleep(0.05)
                assert r["sent"] == 2 and sorted(emu(back).plus) == [100, 101]
            finally:
                await back.stop()
    finally:
        await counter.stop()


async def test_an_upload_cut_off_midway_resumes_where_it_stopped(sim: ScaleSimulator,
                                                                tmp_path: Path) -> None:
    scale = LabelScale(sim.settings(), data_dir=tmp_path)
    await scale.start()
    wire = scale.call
    written = 0
    with anyio.CancelScope() as cut:  # as the device service's timeout cuts a long upload
        async def call(cmd: int, params: bytes = b"") -> tuple[int, bytes]:
            nonlocal written
            answer = await wire(cmd, params)
            written += cmd == sp.WRITE_PLU
            if written == 3:
                cut.cancel()
            return answer

        scale.call = call  # type: ignore[method-assign]
        await scale.upload(plu_items(5), key="cut")
    # three answered (kept); a fourth may have gone out unanswered: written again, harmless
    assert cut.cancelled_caught and len(scale.state["plus"]) == 3
    assert not scale.link.open  # its answer is not read as the next command's
    scale.call = wire  # type: ignore[method-assign]
    assert (await scale.upload(plu_items(5), key="again"))["sent"] == 2
    assert sorted(emu(sim).plus) == [100, 101, 102, 103, 104]
    await scale.stop()
