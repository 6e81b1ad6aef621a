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
            assert proc.stderr is not None  # stderr=PIPE
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


def test_chats_link_asks_each_bot_for_its_link(tmp_path):
    """With Telegram and MAX configured, `kassa chats link` prints a working deep link per
    messenger (each bot is asked its name), and a bot it cannot reach costs only its link."""
    import threading

    import anyio
    from click.testing import CliRunner
    from kassa.cli import cli
    from kassa_max.sim import MaxSim
    from kassa_telegram.sim import TelegramSim

    started = threading.Event()
    stop = threading.Event()
    box: dict[str, tuple[str, ...]] = {}

    def serve() -> None:
        async def main() -> None:
            async with TelegramSim() as tg, MaxSim() as mx:
                box.update(tg=(tg.base_url, tg.token, tg.bot.username), mx=(mx.base_url, mx.token))
                started.set()
                await anyio.to_thread.run_sync(stop.wait)
        anyio.run(main)

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    assert started.wait(30)
    try:
        (tg_url, tg_token, tg_name), (mx_url, mx_token) = box["tg"], box["mx"]
        cfg = tmp_path / "kassa.toml"
        cfg.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n[[sites]]\ncode = "r1"\n'
                       f'[telegram]\ntoken = "{tg_token}"\nbase_url = "{tg_url}"\n'
                       f'[max]\ntoken = "{mx_token}"\nbase_url = "{mx_url}"\n', encoding="utf-8")
        out = CliRunner().invoke(cli, ["chats", "link", "r1", "-c", str(cfg)])
        assert out.exit_code == 0, out.output
        token = out.output.split("/start ")[1].split()[0]
        assert f"telegram: https://t.me/{tg_name}?startgroup={token}" in out.output
        assert f"?start={token}" in out.output.split("max: https://max.ru/")[1]
        # the Telegram bot's token is wrong: its line says so, without the token
        cfg.write_text(cfg.read_text().replace(tg_token, "123:nope"), encoding="utf-8")
        out = CliRunner().invoke(cli, ["chats", "link", "r1", "-c", str(cfg)])
        assert out.exit_code == 0, out.output
        assert "telegram: (no link:" in out.output and "123:nope" not in out.output
        assert "max: https://max.ru/" in out.output
    finally:
        stop.set()
        th.join(10)
