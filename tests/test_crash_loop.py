"""Crash loop and messenger faults, counted at the far end (the Telegram simulator).

A real hub process (``tests.crash.hub_proc``: ``kassa run``'s runner plus a source playing a
fixed schedule) is SIGKILLed mid-stream again and again; every restart re-offers what it
never acknowledged, as r_keeper does. Then a run with 40% of the sends failing (429 / 500 /
502). What the simulated chats received must hold every event, in order, with at most one
duplicate message per crash and, under faults alone, no alert line twice.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from kassa_telegram.sim import TelegramSim

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"E\d{3}")
CRASHES = 20


def config(tmp_path: Path, sim: TelegramSim, chats: dict[str, int]) -> Path:
    path = tmp_path / "kassa.toml"
    path.write_text(f"""
[hub]
data_dir = "{tmp_path / 'data'}"
locale = "ru"

[api]
enabled = false

[outbox]
base_delay = 0.05
max_delay = 1.0

[telegram]
token = "{sim.token}"
base_url = "{sim.base_url}"
poll_timeout = 1
request_timeout = 2.0

[[sites]]
code = "r1"
name = "Суши на Невском"

[[chats]]
channel = "telegram"
chat_id = "{chats['site']}"
site = "r1"

[[chats]]
channel = "telegram"
chat_id = "{chats['owners']}"
owners = true
""", encoding="utf-8")
    return path


def start(cfg: Path, t0: float, rate: float, n: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KASSA_LOAD_PLUGINS": "telegram", "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "tests.crash.hub_proc", str(cfg),
                                 str(t0), str(rate), str(n)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def tally(sim: TelegramSim, chat_id: int) -> dict[str, int]:
    """lost is counted by the caller; here: messages, duplicates (a message that brings no
    event not heard before), repeated lines, and news older than earlier news."""
    seen: set[str] = set()
    newest = ""
    out = {"messages": 0, "duplicates": 0, "repeated_lines": 0, "out_of_order": 0}
    for m in sim.received(chat_id):
        tokens = TOKEN.findall(m.text)
        out["messages"] += 1
        fresh = set(tokens) - seen
        out["repeated_lines"] += len(tokens) - len(fresh)
        if not fresh:
            out["duplicates"] += 1
        elif min(fresh) < newest:
            out["out_of_order"] += 1
        if fresh:
            newest = max(newest, max(fresh))
        seen |= set(tokens)
    out["heard"] = len(seen)
    return out


def world(sim: TelegramSim) -> dict[str, int]:
    owner = sim.create_user("Ольга")
    return {"site": sim.create_chat("r1 — алерты", members=[owner.id]).id,
            "owners": sim.create_chat("Владельцы", members=[owner.id]).id}


async def until_heard(sim: TelegramSim, chats: dict[str, int], n: int, seconds: float) -> None:
    with anyio.move_on_after(seconds):
        while any(tally(sim, c)["heard"] < n for c in chats.values()):  # noqa: ASYNC110
            await anyio.sleep(0.5)


async def running(log: Path, times: int) -> None:
    """Until the hub has said it is running for the ``times``-th time."""
    with anyio.fail_after(90):
        while starts(log) < times:  # noqa: ASYNC110 (a log file: nothing to wait on)
            await anyio.sleep(0.1)


def starts(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count(" running: ")


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=20)


async def test_twenty_kills_mid_stream_lose_nothing(tmp_path):
    n, rate = 400, 4.0  # minutes of alerts, faster than a Telegram group's 20 a minute
    rng = random.Random(11)
    async with TelegramSim(rate_limits=True) as sim:
        chats = world(sim)
        cfg, log = config(tmp_path, sim, chats), tmp_path / "hub.log"
        t0 = time.time() + 1.0
        for k in range(CRASHES):
            proc = start(cfg, t0, rate, n, log)
            await running(log, k + 1)  # start-up takes seconds on a loaded machine
            await anyio.sleep(rng.uniform(0.3, 2.5))
            proc.kill()  # SIGKILL: no drain, no shutdown, whatever was in flight
            proc.wait()
        proc = start(cfg, t0, rate, n, log)
        await running(log, CRASHES + 1)
        await until_heard(sim, chats, n, seconds=max(0.0, t0 + n / rate - time.time()) + 120)
        assert stop(proc) == 0, log.read_text()[-3000:]
    for which, chat_id in chats.items():
        got = tally(sim, chat_id)
        print(f"crash loop ({CRASHES} SIGKILLs, {n} events) {which}: lost {n - got['heard']}, "
              f"{got['messages']} messages, {got['duplicates']} duplicate messages, "
              f"{got['repeated_lines']} repeated lines, {got['out_of_order']} out of order")
        assert got["heard"] == n, (which, got, log.read_text()[-3000:])
        assert got["duplicates"] <= CRASHES, (which, got)
        assert got["out_of_order"] == 0, (which, got)


async def test_forty_percent_of_sends_failing_deliver_everything_once_in_order(tmp_path):
    n, rate = 120, 4.0
    rng = random.Random(7)
    async with TelegramSim(rate_limits=True) as sim:
        for _ in range(400):  # after 1-2 good sends one fails: 40% of the sends
            sim.faults.add(rng.choice(["flood", "server_error", "bad_gateway"]),
                           method="sendmessage", skip=rng.choice([1, 2]), retry_after=1)
        chats = world(sim)
        cfg, log = config(tmp_path, sim, chats), tmp_path / "hub.log"
        t0 = time.time() + 1.0
        proc = start(cfg, t0, rate, n, log)
        await running(log, 1)
        await until_heard(sim, chats, n, seconds=n / rate + 120)
        assert stop(proc) == 0, log.read_text()[-3000:]
        failed = 400 - len(sim.faults.queue)
        sends = sum(1 for c in sim.calls if c["method"] == "sendmessage")
    print(f"faults: {failed} of {sends} sends failed ({failed / max(1, sends):.0%})")
    assert failed / sends >= 0.3, (failed, sends)
    for which, chat_id in chats.items():
        got = tally(sim, chat_id)
        print(f"faults {which}: lost {n - got['heard']}, {got['messages']} messages, "
              f"{got['repeated_lines']} repeated lines, {got['out_of_order']} out of order")
        assert got["heard"] == n, (which, got, log.read_text()[-3000:])
        assert got["repeated_lines"] == 0 and got["duplicates"] == 0, (which, got)
        assert got["out_of_order"] == 0, (which, got)
