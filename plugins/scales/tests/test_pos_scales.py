"""Each driver against its emulator over a real TCP socket and a pty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from kassa.errors import RetryLater
from kassa.model import Health
from kassa.testing import ScaleContract
from kassa_scales.scale import PosScale
from kassa_scales.sim import Curve, ScaleSimulator, emulator_for

pytestmark = pytest.mark.anyio
PROTOCOLS = ["cas", "cas:type1", "massak", "mtsics", "shtrih_pos2"]


@asynccontextmanager
async def running(protocol: str, curve: Curve, *, pty: bool = False,
                  emit: Any = None) -> AsyncIterator[tuple[PosScale, ScaleSimulator]]:
    sim = ScaleSimulator(emulator_for(protocol, curve), pty=pty)
    await sim.start()
    scale = PosScale(sim.settings(), emit=emit)
    await scale.start()
    try:
        yield scale, sim
    finally:
        await scale.stop()
        await sim.stop()


@pytest.mark.parametrize("pty", [False, True], ids=["tcp", "pty"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_stable_weight(protocol: str, pty: bool) -> None:
    async with running(protocol, Curve.steady(1250), pty=pty) as (scale, _):
        w = await scale.read()
        assert w.stable and w.kg == pytest.approx(1.25) and w.sellable
        assert scale.status().health is Health.OK


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_waits_for_the_weight_to_settle(protocol: str) -> None:
    curve = Curve(start=0).ramp(800, 0.1).settle(800, 0.15, swing=30)
    async with running(protocol, curve) as (scale, sim):
        w = await scale.read()
        assert w.stable and w.grams == 800
        assert len(sim.emulator.requests) > 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_never_stable_gives_an_unstable_reading(protocol: str) -> None:
    async with running(protocol, Curve(start=500).noise(500, 60, swing=40)) as (scale, _):
        scale.settings.stable_timeout = 0.15
        w = await scale.read()
        assert not w.stable and not w.sellable


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_overload(protocol: str) -> None:
    async with running(protocol, Curve(start=0).overload(60)) as (scale, _):
        w = await scale.read()
        assert w.overload and not w.sellable


@pytest.mark.parametrize("protocol", ["massak", "mtsics", "shtrih_pos2"])
async def test_tare_is_reported(protocol: str) -> None:
    async with running(protocol, Curve.steady(1300)) as (scale, sim):
        sim.emulator.tare = 300  # type: ignore[attr-defined]
        w = await scale.read()
        assert w.grams == 1000 and w.tare * 1000 == 300


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_garbage_marks_down_alerts_once_and_recovers(protocol: str) -> None:
    events: list[Any] = []

    async def emit(e: Any) -> None:
        events.append(e)

    async with running(protocol, Curve.steady(700), emit=emit) as (scale, sim):
        sim.emulator.garbage = 2  # type: ignore[attr-defined]
        for _ in range(2):
            with pytest.raises(RetryLater) as info:
                await scale.read()
        st = scale.status()
        assert st.health is Health.DOWN and st.message == str(info.value)
        assert "Весы «scale»" in str(info.value)
        assert [e.kind for e in events] == ["scale_unreachable"]
        w = await scale.read()  # the next read reconnects and answers
        assert w.grams == 700 and scale.status().health is Health.OK


async def test_scale_switched_off() -> None:
    async with running("mtsics", Curve.steady(100)) as (scale, sim):
        await sim.stop()
        with pytest.raises(RetryLater, match="не отвечают"):
            await scale.read()
        assert scale.status().health is Health.DOWN


def on_emulator(protocol: str) -> Any:
    """A factory for the contract suite: a POS scale on its own emulator, both stopped
    together."""

    async def make(tmp_path: Any) -> Any:
        sim = ScaleSimulator(emulator_for(protocol, Curve.steady(420)))
        await sim.start()
        scale = PosScale(sim.settings())
        stop = scale.stop

        async def stop_both() -> None:
            await stop()
            await sim.stop()

        scale.stop = stop_both  # type: ignore[method-assign]
        return scale

    return make


class TestMassaKContract(ScaleContract):
    make_device = staticmethod(on_emulator("massak"))


class TestShtrihPos2Contract(ScaleContract):
    make_device = staticmethod(on_emulator("shtrih_pos2"))
