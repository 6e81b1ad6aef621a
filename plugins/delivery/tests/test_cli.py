"""``kassa delivery jobs`` in a real process against the running hub's API."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio
import pytest
from kassa.testing import eventually

from .conftest import APP, idem, payment

pytestmark = pytest.mark.anyio


async def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return await anyio.run_process([sys.executable, "-m", "kassa.cli", "delivery", "jobs",
                                    *args], check=False)


async def test_jobs_lists_the_queue_with_the_admin_token(api, hub, register):
    register.offline = True
    await api.post("/payments", json=payment("L-1"), headers=idem("l1"))

    async def waiting() -> bool:
        return (await api.get("/jobs/1", headers=APP)).json()["waiting"] is not None

    await eventually(waiting, hub=hub)
    url = f"http://127.0.0.1:{hub.api_port}"
    done = await _cli("--url", url, "--token", "test-token")
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr
    assert "L-1" in out and "в очереди" in out and "ждёт" in out
    done = await _cli("--url", url, "--token", "test-token", "--json", "--status", "queued")
    assert [j["order_id"] for j in json.loads(done.stdout)] == ["L-1"]
    denied = await _cli("--url", url, "--token", "wrong")
    assert denied.returncode == 1 and "X-Api-Key" in denied.stderr.decode()


async def test_drive_posts_payments_and_shows_refusals(api, hub):
    url = f"http://127.0.0.1:{hub.api_port}"
    base = [sys.executable, "-m", "kassa.cli", "delivery", "drive", "--url", url,
            "--site", "d1", "--count", "3"]
    done = await anyio.run_process([*base, "--key", "app-key-0001", "--driver", "anna"],
                                   check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().count("задание") == 3
    jobs = (await api.get("/jobs", headers=APP)).json()
    assert len(jobs) == 3
    refused = await anyio.run_process([*base, "--key", "app-key-0001", "--driver", "zed",
                                       "--first", "100"],
                                      check=False)
    assert "unknown_driver" in refused.stderr.decode() and "не настроен" in \
        refused.stderr.decode()
