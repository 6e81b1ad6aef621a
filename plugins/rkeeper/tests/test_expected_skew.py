"""A simulator's day runs ahead on purpose (``expected_clock_skew``): one line in words per
process, no clock warning; a real site still gets the warning."""

import logging

import anyio
import pytest
from kassa_rkeeper import source as source_module

from .conftest import running

pytestmark = pytest.mark.anyio
LOGGER = "kassa_rkeeper.source"


async def measured(source: source_module.RKeeperSource) -> None:
    """Until the source has seen the server's clock (its first answers)."""
    for _ in range(100):
        if abs(source.skew_s) >= source_module.SKEW_WARN_S:
            return
        await anyio.sleep(0.05)
    raise AssertionError("the source never measured the clock")


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER
            and ("clock" in r.getMessage())]


async def test_a_real_site_warns_about_its_clock(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with running() as (_sim, source, _got):
        await measured(source)
    (line,) = lines(caplog)
    assert line[0] == logging.WARNING and "cash server clock differs from ours" in line[1]


async def test_the_simulator_skew_is_said_once_in_words(caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setattr(source_module, "_SKEW_TOLD", [])
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with running("r1", seed=1, expected_clock_skew=True) as (_s1, src1, _g1), \
            running("r2", seed=2, expected_clock_skew=True) as (_s2, src2, _g2):
        await measured(src1)
        await measured(src2)
    (line,) = lines(caplog)  # two sites, one line
    assert line[0] == logging.INFO
    assert line[1].startswith("the simulated day runs ") and " h " in line[1]
    assert "expected in the simulator" in line[1]
