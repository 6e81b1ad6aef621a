"""``kassa sber simulate`` as a person starts it: a real process on a fixed port, its printed
block pasted into a hub, the control port scripting the next outcome over a socket."""

from __future__ import annotations

import signal
import socket
import subprocess
import tomllib
from pathlib import Path

import kassa_sber
import pytest
from kassa.errors import UserError
from kassa.testing import make_hub, simulator_cli
from kassa.testing.simulator_cli import free_port, start_simulate

pytestmark = pytest.mark.anyio


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return start_simulate("sber", tmp_path, "--work-dir", str(tmp_path / "sim"), *args)


def read_block(proc: subprocess.Popen[str]) -> str:
    return simulator_cli.read_block(proc, until="# commands:")


def control(port: int, line: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((line + "\n").encode())
        return s.makefile(encoding="utf-8").readline().strip()


async def test_the_printed_block_runs_a_hub_and_the_control_port_scripts_it(
        tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, "--port", str(port))
    try:
        block = read_block(proc)
        config = tomllib.loads(block)
        assert f"nc 127.0.0.1 {port}" in block
        config["sites"] = [{"code": "r1", "terminals": ["sber-sim"]}]
        assert control(port, "decline 51 НЕТ СРЕДСТВ").startswith("ok")
        async with make_hub(config, tmp_path, plugins=[kassa_sber]) as hub:
            with pytest.raises(UserError, match="НЕТ СРЕДСТВ"):
                await hub.payments.purchase(1000, key="a", site="r1")
            r = await hub.payments.purchase(1000, key="b", site="r1")
            assert r.approved
        assert '"charges": 1' in control(port, "state")
        assert control(port, "nonsense").startswith("error: unknown command")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "# stopped" in err


def test_a_taken_port_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        proc = start(tmp_path, "--port", str(s.getsockname()[1]))
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.startswith("Error:") and err.count("\n") == 1
