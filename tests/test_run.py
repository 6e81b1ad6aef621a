"""`kassa run` starts from a kassa.toml and stops on SIGTERM without losing queued messages."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path


def test_run_stops_cleanly_on_sigterm(tmp_path):
    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f"""
[hub]
data_dir = "{tmp_path}"
[api]
port = 0
token = "t"
[[sites]]
code = "r1"
name = "Невский"
""", encoding="utf-8")
    exe = Path(sys.executable).parent / "kassa"
    env = {"PATH": str(exe.parent), "KASSA_LOAD_PLUGINS": ""}
    proc = subprocess.Popen([str(exe), "run", "-c", str(cfg)], stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        seen = ""
        while "running" not in seen and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen += line
        assert "running" in seen, seen
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping" in err
    assert (tmp_path / "kassa.db").exists()


def test_run_with_a_broken_config_says_where(tmp_path):
    cfg = tmp_path / "kassa.toml"
    cfg.write_text('[[sites]]\ncode = "r1"\n[sites.nope]\nx = 1\n', encoding="utf-8")
    exe = Path(sys.executable).parent / "kassa"
    out = subprocess.run([str(exe), "run", "-c", str(cfg)], capture_output=True, text=True,
                         timeout=30, env={"PATH": str(exe.parent), "KASSA_LOAD_PLUGINS": ""})
    assert out.returncode == 2
    assert out.stderr.strip() == "error: kassa.toml: sites[0].nope: unknown key"


def test_chats_link_prints_a_one_time_start_command(tmp_path):
    from click.testing import CliRunner
    from kassa.cli import cli

    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n[[sites]]\ncode = "r1"\n', encoding="utf-8")
    ok = CliRunner().invoke(cli, ["chats", "link", "r1", "-c", str(cfg)])
    assert ok.exit_code == 0, ok.output
    assert "/start " in ok.output and (tmp_path / "kassa.db").exists()
    bad = CliRunner().invoke(cli, ["chats", "link", "r9", "-c", str(cfg)])
    assert bad.exit_code == 2 and "no site with code 'r9'" in bad.output
