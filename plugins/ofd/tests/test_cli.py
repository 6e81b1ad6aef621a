"""``kassa ofd ...`` as a person runs it: ``simulate`` in its own process on a fixed port, its
printed block pasted into kassa.toml, a ticket transmitted with the printed intake line, then
``check``, ``receipt`` and ``reconcile`` in their own processes against it; the printed faults
line takes the OFD down and ``check`` says so in one sentence."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
from kassa.testing import simulator_cli
from kassa.testing.simulator_cli import free_port, start_simulate

from .conftest import fixture

QR = "t=20190418T2116&s=3943.26&fn=9999078900000961&i=64318&fp=2918241905&n=1"


def kassa(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KASSA_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "kassa.cli", "ofd", *args,
                           "-c", str(tmp_path / "kassa.toml")], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)


def test_the_printed_block_drives_check_receipt_and_reconcile(tmp_path: Path) -> None:
    port = free_port()
    proc = start_simulate("ofd", tmp_path, "--port", str(port), "--delivers-email")
    try:
        block = simulator_cli.read_block(proc)
        config = tomllib.loads(block)
        assert config["ofd"]["base_url"] == f"http://127.0.0.1:{port}"
        assert config["ofd"]["delivers_email"] is True
        (tmp_path / "kassa.toml").write_text(
            f'[hub]\ndata_dir = "{tmp_path / "data"}"\n\n' + block, encoding="utf-8")
        transmit = next(ln for ln in block.splitlines() if ln.startswith("# transmit:"))
        url = transmit.split("-X POST ", 1)[1].split()[0]
        ticket = {k: v for k, v in fixture("ticket.json").items() if k != "_source"}
        assert httpx.post(url, json=ticket).status_code == 200

        checked = kassa(tmp_path, "check", QR)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.strip() == "found: Чек найден: ФНС подтверждает его."
        wrong = kassa(tmp_path, "check", QR.replace("s=3943.26", "s=3943.00"))
        assert wrong.returncode == 1 and wrong.stdout.startswith("wrong_sum: ")

        shown = kassa(tmp_path, "receipt", "--fn", "9999078900000961", "--fd", "64318",
                      "--date", "2019-04-18")
        assert shown.returncode == 0, shown.stderr
        assert "Чек № 64318" in shown.stdout and "ИТОГ 3943.26" in shown.stdout
        assert "Операция: Приход" in shown.stdout
        as_json = kassa(tmp_path, "receipt", "--fn", "9999078900000961", "--fd", "64318",
                        "--date", "2019-04-18", "--json")
        assert json.loads(as_json.stdout)["Document"]["Amount_Total"] == 394326
        absent = kassa(tmp_path, "receipt", "--fn", "9999078900000961", "--fd", "1",
                       "--date", "2019-04-18")
        assert absent.returncode == 1 and absent.stderr.count("\n") == 1

        outbox = httpx.get(f"http://127.0.0.1:{port}/_sim/outbox").json()
        assert [m["to"] for m in outbox] == ["buyer@example.ru"]  # the tariff's e-mail copy

        done = kassa(tmp_path, "reconcile", "--since", "2d")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("0 receipt(s) since")
        assert kassa(tmp_path, "reconcile", "--since", "yesterday").returncode == 2

        fault_url, body = simulator_cli.curl(block, "# faults:")
        assert httpx.post(fault_url, content=body).json()["outage"] is True
        down = kassa(tmp_path, "check", QR)
        assert down.returncode == 1
        assert down.stderr.startswith("Error: Проверка чека ФНС недоступна")
        assert down.stderr.count("\n") == 1
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "# stopped; 1 document(s) kept" in err


def test_a_taken_port_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        proc = start_simulate("ofd", tmp_path, "--port", str(s.getsockname()[1]))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and err.startswith("Error:") and err.count("\n") == 1
