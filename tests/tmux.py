"""Driving a real terminal app in tmux for the smoke tests (the console, the cashier's
till): run a tmux command, wait until the pane shows a text. CI needs tmux installed
(apt-get install -y tmux); the tests skip without it (``needs_tmux``).

Each test process has its own tmux server (``-L``): CI runs two suites side by side, and on
the shared default server one suite's last ``kill-session`` ended the server while the other
was opening its session there (an empty pane), and a session opened on a server another
process started gets that server's environment, not the test's."""

from __future__ import annotations

import os
import shutil

import anyio
import pytest

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (apt-get install -y tmux)")


SOCKET = f"kassa-tests-{os.getpid()}"


async def tmux(*args: str, env: dict[str, str] | None = None) -> str:
    with anyio.fail_after(10):
        done = await anyio.run_process(["tmux", "-L", SOCKET, *args], check=False, env=env)
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
