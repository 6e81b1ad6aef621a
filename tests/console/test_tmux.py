"""Smoke test of the real terminal app: a console process in tmux, attached to the fake hub
over a real socket, driven by keys. CI needs tmux installed (apt-get install -y tmux)."""

from __future__ import annotations

import os
import shutil
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


async def tmux(*args: str, env: dict[str, str] | None = None) -> str:
    with anyio.fail_after(10):
        done = await anyio.run_process(["tmux", *args], check=False, env=env)
    return done.stdout.decode()


async def screen_shows(session: str, text: str, within: float = 20.0) -> str:
    screen = ""
    for _ in range(int(within / 0.1)):
        screen = await tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        await anyio.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


async def test_console_in_a_real_terminal(fake_hub: FakeHub) -> None:
    session = f"kassa-console-{uuid.uuid4().hex[:8]}"
    async with serve(fake_hub) as url:
        env = {**os.environ, "KASSA_API_TOKEN": TOKEN, "TERM": "xterm-256color"}
        cmd = f"{sys.executable} -m kassa_console {url}; echo EXITED-$?; sleep 30"
        await tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd, env=env)
        try:
            first = await screen_shows(session, "Тверская", within=45)
            assert "660,50" in first and TOKEN not in first
            await tmux("send-keys", "-t", session, "e")
            await screen_shows(session, "Отмена пречека")
            await tmux("send-keys", "-t", session, "c")
            await screen_shows(session, "bot was kicked")
            await tmux("send-keys", "-t", session, "q")
            await screen_shows(session, "EXITED-0")
        finally:
            await tmux("kill-session", "-t", session)


async def test_demo_opens_the_console_through_the_contract(tmp_path) -> None:
    """`kassa demo` (the README's first command): the core finds the console through
    ``register_console`` and runs it in the hub's loop; q quits the whole demo."""
    session = f"kassa-demo-{uuid.uuid4().hex[:8]}"
    kassa = os.path.join(os.path.dirname(sys.executable), "kassa")
    env = {**os.environ, "TERM": "xterm-256color", "KASSA_CACHE_DIR": str(tmp_path)}
    cmd = f"{kassa} demo --sites 1; echo EXITED-$?; sleep 30"
    await tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd, env=env)
    try:
        await screen_shows(session, "Событий в минуту", within=60)
        await screen_shows(session, "r1", within=30)
        await tmux("send-keys", "-t", session, "q")
        await screen_shows(session, "EXITED-0", within=60)
    finally:
        await tmux("kill-session", "-t", session)
