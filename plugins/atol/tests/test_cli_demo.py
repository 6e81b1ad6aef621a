"""``kassa atol simulate`` from the shell, and the demo's registers (one per site) wired by
the fragments ``register_simulators`` returns."""

from __future__ import annotations

import os
import signal
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import kassa_atol
import pytest
from kassa.demo import DemoSettings, merge, merge_sites
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt
from kassa_atol.register import AtolRegister
from kassa_atol.settings import RegisterSettings

pytestmark = pytest.mark.anyio


async def test_simulate_prints_the_toml_block_and_serves() -> None:
    proc = await anyio.open_process(
        [sys.executable, "-c", "from kassa.cli import main; main()", "atol", "simulate",
         "--port", "0", "--delay", "0"], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = b""
    try:
        assert proc.stdout is not None
        with anyio.fail_after(60):
            while b"Ctrl+C" not in out:
                out += await proc.stdout.receive()
        config = tomllib.loads(out.decode())
        entry = config["atol"]["registers"][0]
        assert entry["name"] == "atol-r1" and config["sites"][0]["fiscal"] == "atol-r1"
        reg = AtolRegister("atol-r1", RegisterSettings(name="atol-r1", url=entry["url"],
                                                       poll_interval=0.01))
        try:
            assert (await reg.status()).fn == "9999078900000961"
        finally:
            await reg.stop()
        proc.send_signal(signal.SIGTERM)
        with anyio.fail_after(20):
            await proc.wait()
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.aclose()


async def test_demo_gives_each_site_its_register(tmp_path: Path) -> None:
    settings = DemoSettings(sites=["r1", "r2"], site_count=2, speed=600.0, seed=7, locale="ru")
    sims = kassa_atol.register_simulators(settings)
    assert [s.site for s in sims] == ["r1", "r2"]
    config: dict[str, Any] = {}
    try:
        for sim in sims:
            config = merge(config, await sim.start())
        config = merge_sites(config)
        assert [r["name"] for r in config["atol"]["registers"]] == ["atol-r1", "atol-r2"]
        async with make_hub(config, tmp_path, plugins=[kassa_atol]) as hub:
            for sim in sims:  # the demo's shift opens on the first receipt
                doc = await hub.fiscal.receipt(sample_receipt(), key=f"demo:{sim.site}",
                                               site=sim.site)
                assert doc.number == 2 and sim.effects() == 1
    finally:
        for sim in sims:
            await sim.stop()


def test_an_unreadable_state_file_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    from kassa.testing.simulator_cli import start_simulate

    bad = tmp_path / "atol.json"
    bad.write_text("{half a state", encoding="utf-8")
    proc = start_simulate("atol", tmp_path, "--port", "0", "--state-file", str(bad))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and err.startswith(f"Error: {bad}: ")
    assert err.count("\n") == 1
