"""A disk that fills under a running hub: the push that cannot be stored is refused (its
source retries), /api/health says the store is failing while it is, and both recover when
the disk does. The fault is real: a small tmpfs the test fills (mounting needs root)."""

from __future__ import annotations

import os
import subprocess
import uuid
from typing import Any

import httpx
import pytest
from kassa.testing import make_hub

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    path.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(path)],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def fill(path) -> None:
    """Take every free byte of the disk."""
    fd = os.open(path / "filler", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        for size in (1 << 20, 4096, 512):  # then the last partial blocks
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


async def health(hub) -> dict[str, Any]:
    async with httpx.AsyncClient() as c:
        r = await c.get(f"http://127.0.0.1:{hub.api_port}/api/health",
                        headers={"Authorization": "Bearer test-token"})
    body: dict[str, Any] = r.json()
    return body


async def test_a_full_disk_refuses_pushes_and_degrades_health(disk):
    cfg = {**CONFIG, "chats": [], "store": {"url": f"sqlite+aiosqlite:///{disk}/kassa.db"}}
    big = "Ролл Бонито " * 100_000  # ~2 MB: the log must grow to store it
    async with make_hub(cfg, disk, api=True) as hub:
        assert await hub.emit(ev(key="before"))
        assert (await health(hub))["status"] == "ok"
        fill(disk)
        with pytest.raises(Exception, match="full"):
            await hub.emit(ev(key="while-full", text=big))
        got = await health(hub)
        assert got["status"] == "degraded", got
        assert got["problems"][0]["store"] == "event log"
        assert "full" in got["problems"][0]["error"]
        (disk / "filler").unlink()
        assert await hub.emit(ev(key="while-full", text=big))  # the source's retry is stored
        assert (await health(hub))["status"] == "ok"
        keys = [e.source_key for e in await hub.events()]
    assert keys == ["before", "while-full"]
