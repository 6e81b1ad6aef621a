"""``kassa escpos simulate`` from the shell, and the plugin's hooks from config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import kassa_escpos
import pytest
from kassa_escpos.printer import EscposPrinter
from kassa_escpos.settings import EscposSettings, PrinterSettings

from .test_printer import RECEIPT

pytestmark = pytest.mark.anyio


async def test_simulate_prints_the_block_and_the_tickets(tmp_path: Path) -> None:
    env = {**os.environ, "KASSA_CACHE_DIR": str(tmp_path)}
    proc = subprocess.Popen(  # noqa: ASYNC220 (its pipes are read in a worker thread)
        [sys.executable, "-c", "from kassa.cli import main; main()", "escpos", "simulate",
         "--port", "0", "--printer", "kitchen@r1", "--printer", "bar@r1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        block = ""
        with anyio.fail_after(30):
            while "Ctrl+C" not in block:
                block += await anyio.to_thread.run_sync(proc.stdout.readline)
        printers = tomllib.loads(block)["escpos"]["printers"]
        assert [(p["name"], p["site"]) for p in printers] == [("kitchen", "r1"), ("bar", "r1")]
        p = EscposPrinter(PrinterSettings(**printers[0], status_interval=0))
        await p.start()
        await p.print(RECEIPT, key="cli-1")
        await p.stop()
        await anyio.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = await anyio.to_thread.run_sync(lambda: proc.communicate(timeout=20))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "=== kitchen ===\n #cli-1" in err and "[qr: https://check.ofd.ru/?fn=1]" in err
    assert "kitchen: 1 tickets, 0 flagged commands" in err


def test_simulate_on_a_taken_port_is_one_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = {**os.environ, "KASSA_CACHE_DIR": str(tmp_path)}
        res = subprocess.run([sys.executable, "-c", "from kassa.cli import main; main()",
                              "escpos", "simulate", "--port", str(port)],
                             capture_output=True, text=True, env=env, timeout=30)
    assert res.returncode == 1 and res.stderr.startswith("Error:")


class FakeHub:
    def __init__(self, section: Any) -> None:
        self.sec = section
        self.spawned: list[str] = []

    def section(self, name: str) -> Any:
        return self.sec if name == "escpos" else None

    def spawn(self, fn: Any, *, name: str) -> None:
        self.spawned.append(name)


def test_register_devices_from_config() -> None:
    cfg = EscposSettings(printers=[PrinterSettings(name="k", host="10.0.0.5", site="r1"),
                                   PrinterSettings(name="s", serial="/dev/ttyUSB0",
                                                   status_interval=0)])
    hub = FakeHub(cfg)
    devices = kassa_escpos.register_devices(hub)
    assert [(d.name, d.kind, d.site) for d in devices] == [("k", "printer", "r1"),
                                                           ("s", "printer", None)]
    assert hub.spawned == ["escpos status of k"]
    assert kassa_escpos.register_devices(FakeHub(None)) == []
    with pytest.raises(ValueError, match="exactly one"):
        PrinterSettings(name="x", host="h", serial="/dev/x")


def test_register_simulators_gives_a_kitchen_printer_per_site() -> None:
    class Demo:
        sites = ["r1", "r2"]

    (sim,) = kassa_escpos.register_simulators(Demo())
    assert list(sim.printers) == ["kitchen-r1", "kitchen-r2"]
