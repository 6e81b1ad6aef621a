"""Testing ``kassa <plugin> simulate`` as a person runs it: a real process, the block it
prints, the ``curl`` lines in it (for a plugin's test_cli)."""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulate(plugin: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """``kassa <plugin> simulate ARGS`` in its own process (its CLI index under tmp_path)."""
    env = {**os.environ, "KASSA_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.Popen([sys.executable, "-m", "kassa.cli", plugin, "simulate", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def read_block(proc: subprocess.Popen[str], until: str = "# Running") -> str:
    """What it printed up to and with the line that starts with ``until``."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(until):
            return "".join(lines)
    raise AssertionError("the simulator ended before printing its block: "
                         + (proc.stderr.read() if proc.stderr else ""))


def curl(printed: str, what: str) -> tuple[str, bytes]:
    """The URL and body of the printed ``curl -X POST`` line after the comment ``what``."""
    after = printed.split(what, 1)[1]
    line = next(ln for ln in after.splitlines() if "curl -s -X POST" in ln)
    words = shlex.split(line.lstrip("# "))
    return words[words.index("POST") + 1], words[words.index("-d") + 1].encode()


async def wait_for(pred: Callable[[], Awaitable[object]], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await pred():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")
