"""``kassa devices list|status|test`` against a running hub (its admin API) with a printer
on the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import kassa_escpos
import pytest
from click.testing import CliRunner, Result
from kassa.devices_cli import devices
from kassa.testing import make_hub
from kassa_escpos.protocol import PrinterState
from kassa_escpos.sim import EscposSimulator

from .test_hub import FAST, config

pytestmark = pytest.mark.anyio


async def run(hub: Any, *args: str) -> Result:
    opts = ["--url", f"http://127.0.0.1:{hub.api_port}", "--token", "test-token"]
    argv = [args[0], *args[1:], *opts]
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(devices, argv))


async def test_list_status_and_test_page(sim: EscposSimulator, tmp_path: Path) -> None:
    async with make_hub(config(sim, status_interval=0), tmp_path, plugins=[kassa_escpos],
                        api=True, backoff=FAST) as hub:
        res = await run(hub, "list")
        assert res.exit_code == 0, res.output
        assert res.stdout.strip() == "kitchen (printer) [s1]: в порядке"
        sim["kitchen"].set_state(PrinterState(paper_near_end=True))
        res = await run(hub, "test", "kitchen", "--key", "t1")
        assert res.exit_code == 0, res.output
        assert res.stdout.strip() == "Тестовая страница напечатана на «kitchen» (ключ t1)."
        again = await run(hub, "test", "kitchen", "--key", "t1", "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["printed"] is True
        (page,) = sim["kitchen"].paper.tickets  # the same key printed once
        texts = [ln.text for ln in page.lines]
        assert texts[1] == "Тестовая страница Kassa" and "АБВГД" in texts[-1]
        res = await run(hub, "status", "kitchen")
        assert "с предупреждением — В принтере «kitchen» заканчивается бумага." in res.output
        assert "paper_near_end: True" in res.output
        data = json.loads((await run(hub, "status", "--json", "--locale", "en")).stdout)
        assert data[0]["health"] == "degraded" and data[0]["available"] is True


async def test_refusals_are_one_sentence(sim: EscposSimulator, tmp_path: Path) -> None:
    async with make_hub(config(sim, status_interval=0), tmp_path, plugins=[kassa_escpos],
                        api=True, backoff=FAST) as hub:
        res = await run(hub, "status", "nope")
        assert res.exit_code == 1 and "«nope» не найдено" in res.stderr
        sim["kitchen"].set_state(PrinterState(paper_out=True))
        res = await run(hub, "test", "kitchen")
        assert res.exit_code == 1 and "закончилась бумага" in res.stderr
    res = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(
        devices, ["list", "--url", "http://127.0.0.1:9", "--token", "x"]))
    assert res.exit_code == 2
    assert res.stderr.strip() == ("Хаб по адресу http://127.0.0.1:9 недоступен: он не запущен"
                                  " или адрес другой.")
