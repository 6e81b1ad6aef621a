import anyio
import pytest

from kassa_rkeeper.sim_life import every_fact

from .conftest import running

pytestmark = pytest.mark.anyio


async def test_every_fact_smoke():
    async with running() as (sim, source, got):
        for _ in every_fact(sim.rest):
            await anyio.sleep(0.05)
        await got.wait_for("shift_closed")
        await anyio.sleep(0.5)
        print(sorted(set(got.kinds())))
        print(source.health())
