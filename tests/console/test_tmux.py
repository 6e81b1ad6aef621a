"""Smoke test of the real terminal app: a console process in tmux, attached to the fake hub
over a real socket, driven by keys. CI needs tmux installed (apt-get install -y tmux)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import anyio
import pytest

from .conftest import TOKEN
from .fakehub import FakeHub, serve

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("tmux") is None,
                       reason="tmux is not installed (apt-get install -y tmux)"),
]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False,
                          timeout=10).stdout


async def screen_shows(session: str, text: str, timeout: float = 20.0) -> str:
    screen = ""
    for _ in range(int(timeout / 0.1)):
        screen = tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        await anyio.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


async def test_console_in_a_real_terminal(fake_hub: FakeHub) -> None:
    session = f"kassa-console-{uuid.uuid4().hex[:8]}"
    async with serve(fake_hub) as url:
        env = {**os.environ, "KASSA_API_TOKEN": TOKEN, "TERM": "xterm-256color"}
        cmd = f"{sys.executable} -m kassa.console {url}; echo EXITED-$?; sleep 30"
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                        cmd], env=env, check=True, timeout=10)
        try:
            first = await screen_shows(session, "Тверская")
            assert "660,50 ₽" in first and TOKEN not in first
            tmux("send-keys", "-t", session, "e")
            await screen_shows(session, "Отмена пречека")
            tmux("send-keys", "-t", session, "c")
            await screen_shows(session, "bot was kicked")
            tmux("send-keys", "-t", session, "q")
            await screen_shows(session, "EXITED-0")
        finally:
            tmux("kill-session", "-t", session)
