"""``kassa devices list|status`` against a running hub (its admin API): a feed's health and
its backlog as the console and the CLI show them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import kassa_video
import pytest
from click.testing import CliRunner, Result
from kassa.devices_cli import devices
from kassa.testing import make_hub
from kassa_video.sim import VideoSimulator

from .conftest import wait_for
from .test_hub import CHECK, FAST, KINDS, config

pytestmark = pytest.mark.anyio


async def run(hub: Any, *args: str) -> Result:
    opts = ["--url", f"http://127.0.0.1:{hub.api_port}", "--token", "test-token"]
    argv = [args[0], *args[1:], *opts]
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(devices, argv))


async def test_list_and_status_show_the_backlog(sim: VideoSimulator, tmp_path: Path) -> None:
    async with make_hub(config(sim), tmp_path, plugins=[kassa_video], api=True,
                        backoff=FAST) as hub:
        (feed,) = list(hub.devices)
        await wait_for(lambda: feed.connected)
        res = await run(hub, "list")
        assert res.exit_code == 0, res.output
        assert res.stdout.strip() == "dssl (video) [s1]: в порядке"
        await sim["dssl"].pause()
        await wait_for(lambda: feed.last_error is not None)
        for e in CHECK:
            await hub.emit(e)
        await wait_for(lambda: feed.accepted == len(KINDS))
        res = await run(hub, "status", "dssl")
        assert res.exit_code == 0, res.output
        assert "недоступна" in res.output and "копятся на диске" in res.output
        assert f"backlog: {len(KINDS)}" in res.output
        data = json.loads((await run(hub, "status", "--json", "--locale", "en")).stdout)
        assert data[0]["health"] == "degraded" and data[0]["available"] is True
