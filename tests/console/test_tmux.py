"""Smoke test of the real terminal app: a console process in tmux, attached to the fake hub
over a real socket, driven by keys. CI needs tmux installed (apt-get install -y tmux)."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

from ..tmux import needs_tmux, screen_shows, tmux
from .conftest import TOKEN
from .fakehub import FakeHub, serve

pytestmark = [pytest.mark.anyio, needs_tmux]


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
