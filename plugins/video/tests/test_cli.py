"""``kassa video simulate`` from the shell (kassa.testing.simulator_cli), and the plugin's
hooks from config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import anyio
import kassa_video
import pytest
from kassa.testing.simulator_cli import read_block, start_simulate
from kassa_video.feed import VideoFeed
from kassa_video.settings import FeedSettings
from kassa_video.sim import VideoSimulator

from .conftest import wait_for
from .test_feed import receipt

pytestmark = pytest.mark.anyio


async def test_simulate_prints_the_block_records_and_hangs_up_on_usr1(tmp_path: Path) -> None:
    proc = start_simulate("video", tmp_path, "--port", "0", "--input", "front@r1",
                          "--protocol", "axxon")
    try:
        with anyio.fail_after(60):
            block = await anyio.to_thread.run_sync(read_block, proc, "# Every event")
        (cfg,) = tomllib.loads(block)["video"]["feeds"]
        assert (cfg["name"], cfg["site"], cfg["protocol"], cfg["encoding"]) == (
            "front", "r1", "axxon", "utf-8")
        f = VideoFeed(FeedSettings(**cfg, reconnect_max=0.2), data_dir=tmp_path)
        await f.start()
        try:
            for i, e in enumerate(receipt(1)):
                await f.send(e, key=f"a{i}")
            await wait_for(lambda: f.backlog == 0 and f.connections == 1)
            proc.send_signal(signal.SIGUSR1)
            await wait_for(lambda: f.connections == 2, seconds=60)
            for i, e in enumerate(receipt(2)):
                await f.send(e, key=f"b{i}")
            await wait_for(lambda: f.backlog == 0)
            await anyio.sleep(0.3)
        finally:
            await f.stop()
        proc.send_signal(signal.SIGINT)
        _, err = await anyio.to_thread.run_sync(lambda: proc.communicate(timeout=30))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "front" in err and "cas_1 line_add R1 Позиция 1 1,00" in err
    assert "# SIGUSR1: every connection hung up" in err
    assert "front: 12 events, 0 flagged, 0 doubled, 2 connections" in err


def test_simulate_on_a_taken_port_is_one_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = {**os.environ, "KASSA_CACHE_DIR": str(tmp_path)}
        proc = subprocess.run([sys.executable, "-m", "kassa.cli", "video", "simulate",
                               "--port", str(port)],
                              capture_output=True, text=True, env=env, timeout=60,
                              check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: ")


async def test_register_simulators_gives_a_receiver_per_demo_site() -> None:
    class Demo:
        sites = ["r1", "r2"]

    (sim,) = kassa_video.register_simulators(Demo())
    assert isinstance(sim, VideoSimulator)
    fragment = await sim.start()
    try:
        feeds = fragment["video"]["feeds"]
        assert [(f["name"], f["site"]) for f in feeds] == [("video-r1", "r1"),
                                                         ("video-r2", "r2")]
        f = VideoFeed(FeedSettings(**feeds[0]), data_dir=Path("/nonexistent") / "x")
        assert f.path.name == "video-r1.sqlite"
    finally:
        await sim.stop()


def test_every_text_in_both_languages() -> None:
    from kassa_video.texts import TEXTS

    assert set(TEXTS["ru"]) == set(TEXTS["en"])
    assert all(k.startswith("video.") for k in TEXTS["ru"])


@pytest.mark.parametrize(("feeds", "says"), [
    ([{"name": "a/b", "host": "h", "port": 1}], "must be a plain name"),
    ([{"name": "v", "host": "h", "port": 1}, {"name": "v", "host": "h", "port": 2}],
     "video feeds named twice: v"),
    ([{"name": "v", "host": "h", "port": 1, "protocol": "smtp"}], "protocol"),
    ([{"name": "v", "host": "h", "port": 1, "encoding": "koi8-r"}], "koi8-r"),
    ([{"name": "v", "host": "h", "port": 70000}], "port"),
])
async def test_bad_config_is_one_sentence(tmp_path: Path, feeds: list[dict[str, object]],
                                          says: str) -> None:
    from kassa.errors import ConfigError
    from kassa.testing import make_hub

    with pytest.raises(ConfigError) as err:
        async with make_hub({"video": {"feeds": feeds}}, tmp_path, plugins=[kassa_video]):
            pass
    assert says in str(err.value) and "\n" not in str(err.value)
