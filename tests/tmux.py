"""Driving a real terminal app in tmux for the smoke tests (the console, the cashier's
till): run a tmux command, wait until the pane shows a text. CI needs tmux installed
(apt-get install -y tmux); the tests skip without it (``needs_tmux``)."""

from __future__ import annotations

import shutil

import anyio
import pytest

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (apt-get install -y tmux)")


async def tmux(*args: str, env: dict[str, str] | None = None) -> str:
    with anyio.fail_after(10):
        done = await anyio.run_process(["tmux", *args], check=False, env=env)
    return done.stdout.decode()


async def screen_shows(session: str, text: str, within: float = 20.0) -> str:
    """The pane once it shows ``text``; fails with the last screen after ``within`` s."""
    screen = ""
    for _ in range(int(within / 0.1)):
        screen = await tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        await anyio.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")
