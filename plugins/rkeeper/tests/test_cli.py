"""`kassa rkeeper simulate` over a real subprocess: fixed port, stable block, notes, signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import IO

import httpx
import pytest
from kassa_rkeeper.sim import free_port

KASSA = str(Path(sys.executable).with_name("kassa"))


def start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("KASSA_FARCARDS_URL", None)
    return subprocess.Popen([KASSA, "rkeeper", "simulate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def read_until(stream: IO[str] | None, needle: str, timeout: float = 20.0) -> str:
    assert stream is not None  # started with stdout and stderr piped
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never printed; got:\n{seen}")


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the simulator ignored the signal") from None
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_fixed_port_stable_block_idle_note_and_signal(sig: int) -> None:
    port = free_port()
    blocks = []
    for _ in range(2):  # a restart with the same port/seed prints the same block
        proc = start("--port", str(port), "--start", "03:00", "--speed", "60",
                     "--idle-every", "1")
        try:
            block = read_until(proc.stdout, "hub_gap_after")
            plan = read_until(proc.stderr, "opens at 09:00")
            assert "in 6 real minutes" in plan and "shift closes" in plan
            idle = read_until(proc.stderr, "# idle:")
            assert "closed" in idle and "opens at 09:00" in idle
            # the XML interface really is on the fixed port
            r = httpx.post(f"http://127.0.0.1:{port}/rk7api/v0/xmlinterface.xml",
                           content=b'<RK7Query><RK7CMD CMD="GetSystemInfo"/></RK7Query>',
                           auth=("kassa", "kassa"), headers={"content-type": "application/xml"})
            assert 'Status="Ok"' in r.text
        finally:
            rc, err = stop(proc, sig)
        assert rc == 0, err
        assert "Traceback" not in err
        blocks.append(block)
    assert blocks[0] == blocks[1]
    site = tomllib.loads(blocks[0])["sites"][0]  # pasteable as it is
    assert site["rkeeper"]["port"] == port and site["rkeeper"]["expected_clock_skew"] is True
    assert f"port = {port}\n" in blocks[0] and f"listen_port = {port + 1}\n" in blocks[0]


def test_open_restaurant_note() -> None:
    proc = start("--port", str(free_port()), "--start", "12:00", "--speed", "600")
    try:
        note = read_until(proc.stderr, "simulated time is")
        assert "the restaurant is open: checks follow at once" in note
        assert "closes at 23:00" in note
    finally:
        rc, _ = stop(proc, signal.SIGTERM)
    assert rc == 0


def test_taken_port_is_one_sentence() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = start("--port", str(port))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Traceback" not in err and out == ""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in lines[0]
