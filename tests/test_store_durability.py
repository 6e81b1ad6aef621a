"""What the store acknowledges is on disk, and only its owner can read it."""

from __future__ import annotations

import os
import stat

import pytest
from kassa.store import Store

pytestmark = pytest.mark.anyio

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_every_connection_fsyncs_its_commits(tmp_path):
    """WAL + NORMAL survives a process kill but not a power loss: commits that were answered
    'ok' must be FULL on both write paths (aiosqlite and the one-hop writer)."""
    store = Store(f"sqlite+aiosqlite:///{tmp_path}/k.db")
    await store.prepare()
    async with store.write() as conn:
        level = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
    assert level == FULL
    assert await store.run_write(lambda raw: raw.execute("PRAGMA synchronous").fetchone()[0]) \
        == FULL
    await store.close()


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)  # what most shells give: files 0644, folders 0755
    yield
    os.umask(old)


async def test_new_store_is_private(tmp_path, usual_umask):
    folder = tmp_path / "data"
    store = Store(f"sqlite+aiosqlite:///{folder}/kassa.db")
    await store.prepare()
    await store.run_write(lambda raw: raw.execute(
        "INSERT INTO cursors (name, position, updated_at) VALUES ('a', 1, '2026-01-01')"))
    assert mode(folder) == 0o700
    for name in ("kassa.db", "kassa.db-wal", "kassa.db-shm"):
        assert mode(folder / name) == 0o600, name
    await store.close()


async def test_database_created_open_by_an_older_version_is_closed(tmp_path):
    db = tmp_path / "kassa.db"
    db.touch()
    db.chmod(0o644)
    store = Store(f"sqlite+aiosqlite:///{db}")
    await store.prepare()
    assert mode(db) == 0o600
    await store.close()


async def test_a_lazy_commit_is_not_fsynced_and_the_next_one_is(tmp_path):
    """``durable=False`` (the journal's outcome marks): NORMAL for that transaction only, on
    both write paths; the connection is FULL again for everything after it."""
    store = Store(f"sqlite+aiosqlite:///{tmp_path}/k.db")
    await store.prepare()
    level = "PRAGMA synchronous"
    async with store.write(durable=False) as conn:
        assert (await conn.exec_driver_sql(level)).scalar() == 1
    async with store.write() as conn:
        assert (await conn.exec_driver_sql(level)).scalar() == FULL
    assert await store.run_write(lambda raw: raw.execute(level).fetchone()[0],
                                 durable=False) == 1
    assert await store.run_write(lambda raw: raw.execute(level).fetchone()[0]) == FULL

    def fails(raw):
        raise ValueError("half way")

    with pytest.raises(ValueError):
        await store.run_write(fails, durable=False)
    assert await store.run_write(lambda raw: raw.execute(level).fetchone()[0]) == FULL
    await store.close()
