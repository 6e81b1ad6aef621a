"""The plugin in a hub (config -> devices, a weight through hub.devices, garbage does not
stop the hub) and `kassa scales simulate` from the shell."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import kassa_scales
import pytest
from kassa.errors import RetryLater
from kassa.model import Health
from kassa.testing import make_hub
from kassa_scales.cli import parse_script
from kassa_scales.sim import Curve, ScaleSimulator, emulator_for

pytestmark = pytest.mark.anyio


async def test_weight_through_the_hub_and_garbage(tmp_path: Path) -> None:
    sim = ScaleSimulator(emulator_for("massak", Curve.steady(640)), name="counter")
    await sim.start()
    device = dict(sim.fragment["scales"]["devices"][0]) | {"timeout": 0.3}
    cfg = {"sites": [{"code": "s1", "scales": ["counter"]}], "scales": {"devices": [device]}}
    try:
        async with make_hub(cfg, tmp_path, plugins=[kassa_scales]) as hub:
            assert (await hub.devices.read_weight(site="s1")).grams == 640
            sim.emulator.garbage = 1  # type: ignore[attr-defined]
            with pytest.raises(RetryLater):
                await hub.devices.read_weight(site="s1")
            (scale,) = list(hub.devices)
            assert scale.status().health is Health.DOWN
            assert (await hub.devices.read_weight(site="s1")).grams == 640
    finally:
        await sim.stop()


def test_script_parsing() -> None:
    c = parse_script("ramp:800:1,settle:800:2,overload:1", 800)
    assert [s.kind for s in c.segments] == ["ramp", "settle", "overload", "hold"]
    import click

    with pytest.raises(click.BadParameter):
        parse_script("fly:1", 0)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_simulate_from_the_shell(anyio_backend: str) -> None:
    kassa = str(Path(sys.executable).parent / "kassa")
    proc = subprocess.Popen([kassa, "scales", "simulate", "--port", "0", "--protocol",
                             "mtsics", "--weight", "321"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = 0
        for _ in range(20):
            line = proc.stdout.readline()
            if line.startswith("port = "):
                port = int(line.split("=")[1])
                break
        assert port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"SI\r\n")
            assert sock.recv(64) == b"S S      0.321 kg\r\n"
    finally:
        proc.terminate()
        proc.wait(5)
