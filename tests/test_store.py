"""The store's one-hop SQLite writer."""

from __future__ import annotations

import pytest
from kassa.store import Store

pytestmark = pytest.mark.anyio


async def test_run_write_commits_or_rolls_back_whole(tmp_path):
    """``run_write`` is one transaction: what a failing block wrote is gone, the writer keeps
    working, and the aiosqlite connections see what it committed."""
    store = Store(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    await store.prepare()
    put = "INSERT INTO cursors (name, position, updated_at) VALUES (?, ?, '2026-01-01')"

    def fails(raw):
        raw.execute(put, ("a", 1))
        raise ValueError("half way")

    with pytest.raises(ValueError, match="half way"):
        await store.run_write(fails)
    assert await store.run_write(lambda raw: raw.execute(put, ("b", 2)).rowcount) == 1
    async with store.read() as conn:
        names = [r[0] for r in (await conn.exec_driver_sql("SELECT name FROM cursors")).all()]
    assert names == ["b"]
    await store.close()
