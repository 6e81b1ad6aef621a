"""The plugin in a running hub: config -> devices, prints through ``hub.devices`` (the
journal), a printer that vanishes mid-ticket, and a hub killed between the printer taking the
bytes and the journal marking the job done."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import kassa_escpos
import pytest
from kassa.errors import RetryLater
from kassa.model import Health, PrintJob
from kassa.supervision import Backoff
from kassa.testing import make_hub
from kassa_escpos.sim import EscposSimulator

pytestmark = pytest.mark.anyio
JOB = PrintJob(lines=("Заказ 1042", "2 x Борщ"))


def config(sim: EscposSimulator, **printer: Any) -> dict[str, Any]:
    base = {"name": "kitchen", "host": "127.0.0.1", "port": sim["kitchen"].port,
            "site": "s1", "status_timeout": 0.5, "connect_timeout": 0.5,
            "status_interval": 0.05}
    return {"sites": [{"code": "s1", "printers": ["kitchen"]}],
            "escpos": {"printers": [base | printer]}}


FAST = Backoff(initial=0.02, maximum=0.1, device_poll=0.05)


async def wait_for(cond: Any, seconds: float = 3.0) -> None:
    with anyio.fail_after(seconds):
        while not cond():  # noqa: ASYNC110 (polling state another task changes)
            await anyio.sleep(0.02)


async def test_prints_once_per_key_through_the_journal(sim: EscposSimulator,
                                                       tmp_path: Path) -> None:
    async with make_hub(config(sim), tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        (printer,) = list(hub.devices)
        assert printer.status().health is Health.OK
        await hub.devices.print(JOB, key="o1", site="s1")
        await hub.devices.print(JOB, key="o1", site="s1")
        assert sim["kitchen"].paper.keys() == {"o1": 1}


async def test_a_vanished_printer_leaves_the_hub_running(sim: EscposSimulator,
                                                         tmp_path: Path) -> None:
    far = sim["kitchen"]
    async with make_hub(config(sim), tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        (printer,) = list(hub.devices)
        far.drop_after = 80
        big = PrintJob(lines=tuple(f"позиция {i}" for i in range(300)))
        with pytest.raises(RetryLater):  # OutcomeUnknown: the journal keeps it unknown
            await hub.devices.print(big, key="big", site="s1")
        assert printer.status().health is Health.DOWN
        await wait_for(lambda: hub.device_keeper.describe()["kitchen"]["available"] is False)
        await wait_for(lambda: hub.device_keeper.describe()["kitchen"]["available"] is True)
        with pytest.raises(RetryLater):  # the same key: half of it is on paper, no reprint
            await hub.devices.print(big, key="big", site="s1")
        await hub.devices.print(JOB, key="after", site="s1")
        assert [t.key for t in far.paper.tickets] == ["big", None, "after"]
        assert far.paper.tickets[0].cut is None


async def test_unplugged_between_jobs_is_seen_by_the_status_poll(sim: EscposSimulator,
                                                                 tmp_path: Path) -> None:
    async with make_hub(config(sim), tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        far = sim["kitchen"]
        far.silent = True  # it stops answering: the poll, not a job, finds out
        await wait_for(lambda: hub.device_keeper.describe()["kitchen"]["available"] is False)
        reason = hub.device_keeper.describe()["kitchen"]["reason"]
        assert "не ответил на запрос состояния" in reason
        far.silent = False
        await wait_for(lambda: hub.device_keeper.describe()["kitchen"]["available"] is True)
        await hub.devices.print(JOB, key="o3", site="s1")
        assert far.paper.keys() == {"o3": 1} and far.connections >= 2


async def test_a_printer_down_at_start_is_retried(sim: EscposSimulator,
                                                  tmp_path: Path) -> None:
    cfg = config(sim)
    port = sim["kitchen"].port
    await sim.stop()
    async with make_hub(cfg, tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        state = hub.device_keeper.describe()["kitchen"]
        assert state["available"] is False and "недоступен" in state["reason"]
        with pytest.raises(RetryLater):
            await hub.devices.print(JOB, key="o2", site="s1")
        again = EscposSimulator([("kitchen", "s1")], port=port)
        await again.start()
        try:
            await wait_for(lambda: hub.device_keeper.describe()["kitchen"]["available"])
            await hub.devices.print(JOB, key="o2", site="s1")
            assert again["kitchen"].paper.keys() == {"o2": 1}
        finally:
            await again.stop()


CRASHING_HUB = textwrap.dedent("""
    import json, os, sys
    import anyio, kassa_escpos
    from kassa.model import PrintJob
    from kassa.testing import make_hub

    async def main():
        cfg, tmp = json.loads(sys.argv[1]), sys.argv[2]
        async with make_hub(cfg, tmp, plugins=[kassa_escpos]) as hub:
            (printer,) = list(hub.devices)
            real = printer.print

            async def then_die(job, key):
                await real(job, key)
                os._exit(9)  # the printer took it; the journal never hears

            printer.print = then_die
            await hub.devices.print(PrintJob(lines=("Заказ 1042",)), key="crash", site="s1")

    anyio.run(main)
""")


async def test_killed_after_printing_prints_once_after_restart(sim: EscposSimulator,
                                                               tmp_path: Path) -> None:
    cfg = config(sim, status_interval=0)
    with anyio.fail_after(30):
        proc = await anyio.run_process(
            [sys.executable, "-c", CRASHING_HUB, json.dumps(cfg), str(tmp_path)],
            check=False, stderr=subprocess.PIPE)
    assert proc.returncode == 9, proc.stderr.decode()[-2000:]
    await wait_for(lambda: sim["kitchen"].connections == 1 and not sim["kitchen"].streams)
    async with make_hub(cfg, tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        with pytest.raises(RetryLater):  # unknown: the printer keeps no record
            await hub.devices.print(PrintJob(lines=("Заказ 1042",)), key="crash", site="s1")
        await hub.devices.print(JOB, key="next", site="s1")
    assert sim["kitchen"].paper.keys() == {"crash": 1, "next": 1}
