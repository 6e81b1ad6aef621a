"""``kassa telegram simulate`` as a user starts it: a real process on a fixed port, its printed
block pasted into a hub, the printed curl line as a person typing in the group."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import tomllib
from pathlib import Path

import httpx
import kassa_telegram
import pytest
from kassa.model import ChatRef, Message
from kassa.testing import make_hub
from kassa.testing.simulator_cli import curl, free_port, read_block, start_simulate, wait_for

pytestmark = pytest.mark.anyio


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return start_simulate("telegram", tmp_path, *args)


async def test_simulate_prints_a_block_a_hub_runs_on_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, "--port", str(port), "--site", "r1", "--site", "r2",
                 "--no-rate-limits", "--seed", "7")
    try:
        printed = await asyncio.wait_for(asyncio.to_thread(read_block, proc), 60)
        config = tomllib.loads(printed)  # the whole output is TOML: notes are comments
        assert config["telegram"]["base_url"] == f"http://127.0.0.1:{port}"
        sites = [c.get("site") for c in config["chats"]]
        assert sites == ["r1", "r2", None] and config["chats"][-1]["owners"] is True
        r1 = config["chats"][0]["chat_id"]
        config["sites"] = [{"code": "r1"}, {"code": "r2"}]
        config["telegram"]["poll_timeout"] = 1
        base = config["telegram"]["base_url"]
        async with httpx.AsyncClient(base_url=base) as http, \
                make_hub(config, tmp_path, plugins=[kassa_telegram]) as hub:
            async def received() -> list[dict[str, object]]:
                return list((await http.get(f"/_sim/chats/{r1}/received")).json())

            await hub.send(Message(ChatRef("telegram", r1), "<b>Проверка</b>"), key="cli-1")
            await wait_for(lambda: _texts(received, ["Проверка"]))
            url, body = curl(printed, "says /status")
            assert url == f"{base}/_sim/chats/{r1}/messages"
            said = await http.post(url, content=body,  # as curl -d sends it
                                   headers={"content-type": "application/x-www-form-urlencoded"})
            assert said.status_code == 200, said.text
            await wait_for(lambda: _count(received, 2))
            reply = (await received())[1]
            assert str(reply["text"]).startswith("Состояние")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert proc.stderr is not None and "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _texts(received: object, texts: list[str]) -> bool:
    return [m["text"] for m in await received()] == texts  # type: ignore[operator]


async def _count(received: object, n: int) -> bool:
    return len(await received()) >= n  # type: ignore[operator]


async def test_same_seed_same_block_and_sigint_stops(tmp_path: Path) -> None:
    port = free_port()
    blocks = []
    for sig in (signal.SIGINT, signal.SIGINT):
        proc = start(tmp_path, "--port", str(port), "--seed", "3")
        try:
            blocks.append(await asyncio.wait_for(asyncio.to_thread(read_block, proc), 60))
            proc.send_signal(sig)
            assert proc.wait(20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert blocks[0] == blocks[1]  # a restart needs no new paste


async def test_a_taken_port_is_one_sentence_and_a_failure(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = start(tmp_path, "--port", str(port))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert out == ""
    [line] = err.strip().splitlines()
    assert re.fullmatch(rf"Error: the Telegram simulator cannot listen on 127\.0\.0\.1:{port}: "
                        r"the port is already in use.*", line), line
