"""The hub killed (SIGKILL) mid-queue, one receipt made by the register but not yet recorded
by the journal: after a restart every accepted job is fiscalised exactly once, in order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from kassa.testing.fakes import FakeRegister

from .conftest import APP, idem, payment

HERE = Path(__file__).resolve().parent
N = 6
# idle connections expire before the hub's server closes them (5 s): no reuse race
KEEPALIVE = httpx.Limits(keepalive_expiry=1.0)


def _start(data: Path, far: Path, delay: float, *extra: str
           ) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(HERE / "hub_proc.py"), str(data), str(far),
                             "--answer-delay", str(delay), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the hub is up (or the process died)
    assert line, f"the hub process exited with {proc.wait(5)}"
    return proc, f"http://127.0.0.1:{json.loads(line)['port']}/api/delivery/v1"


def _effects(far: Path) -> int:
    reg = FakeRegister("probe", path=far)
    try:
        return reg.effects("receipt")
    finally:
        reg.close()


def _until(cond: Any, within: float = 60.0) -> None:
    end = time.monotonic() + within
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def test_killed_mid_queue_none_lost_none_doubled(tmp_path: Path) -> None:
    data, far = tmp_path / "hub", tmp_path / "fr1.db"
    data.mkdir()
    proc, url = _start(data, far, delay=1.5)
    try:
        with httpx.Client(base_url=url, timeout=30, limits=KEEPALIVE) as http:
            ids = []
            for n in range(N):
                r = http.post("/payments", json=payment(f"K-{n}"), headers=idem(f"k{n}", APP))
                assert r.status_code == 202, r.text
                ids.append(r.json()["job_id"])
            _until(lambda: _effects(far) >= 2)  # the second receipt made, its answer pending
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    made_before = _effects(far)
    assert 1 <= made_before < N
    proc, url = _start(data, far, delay=0.0)
    try:
        with httpx.Client(base_url=url, timeout=30, limits=KEEPALIVE) as http:
            def all_done() -> bool:
                return all(http.get(f"/jobs/{i}", headers=APP).json()["status"] == "fiscalised"
                           for i in ids)

            _until(all_done)
            jobs = [http.get(f"/jobs/{i}", headers=APP).json() for i in ids]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert _effects(far) == N  # none doubled
    fds = [j["fiscal"]["fd"] for j in jobs]
    assert fds == sorted(fds) and len(set(fds)) == N  # none lost, in order
