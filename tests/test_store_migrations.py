"""Plugin migrations: each plugin's alembic branch beside the core's, upgraded together, its
state reported per branch; PostgreSQL refuses to start while a branch is behind."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kassa.errors import ConfigError
from kassa.store import Store
from kassa.store.migrate import Branch

pytestmark = pytest.mark.anyio
PG_URL = os.environ.get("KASSA_TEST_PG_URL", "")

FIRST = '''
import sqlalchemy as sa
from alembic import op

revision = "notes_0001"
down_revision = None
branch_labels = ("notes",)
depends_on = "0003"


def upgrade():
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("text", sa.Text, nullable=False))
'''

SECOND = '''
import sqlalchemy as sa
from alembic import op

revision = "notes_0002"
down_revision = "notes_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notes", sa.Column("author", sa.String(40), nullable=False,
                                     server_default=""))
'''


def versions(tmp_path: Path, *bodies: str) -> Path:
    folder = tmp_path / "notes versions"  # a space: folders are separated by os.pathsep
    folder.mkdir(exist_ok=True)
    for i, body in enumerate(bodies, 1):
        (folder / f"notes_000{i}.py").write_text(body)
    return folder


async def columns(store: Store, table: str) -> list[str]:
    async with store.read() as conn:
        rows = (await conn.exec_driver_sql(f"SELECT * FROM {table} LIMIT 0")).keys()
    return list(rows)


def by_name(status: list[Branch]) -> dict[str, tuple[str | None, str | None]]:
    return {b.name: (b.current, b.head) for b in status}


async def test_a_plugin_branch_is_upgraded_beside_the_core(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    folder = versions(tmp_path, FIRST)
    store = Store(url, migrations={"notes": folder})
    status = await store.status()
    assert [b.name for b in status] == ["core", "notes"]
    assert all(b.current is None and b.behind for b in status)
    await store.prepare()  # SQLite: every branch to its head at start
    status = await store.status()
    assert not any(b.behind for b in status)
    assert by_name(status)["notes"] == ("notes_0001", "notes_0001")
    assert await columns(store, "notes") == ["id", "text"]
    await store.close()

    versions(tmp_path, FIRST, SECOND)  # the plugin's next version ships a revision more
    store = Store(url, migrations={"notes": folder})
    assert by_name(await store.status())["notes"] == ("notes_0001", "notes_0002")
    await store.prepare()
    assert by_name(await store.status())["notes"] == ("notes_0002", "notes_0002")
    assert await columns(store, "notes") == ["id", "text", "author"]
    await store.close()


async def test_a_branch_depending_on_the_cores_newest_revision_keeps_the_core_listed(
        tmp_path: Path) -> None:
    """alembic records a revision another branch depends on only implicitly: the core's
    branch is still listed, behind before and up to date after."""
    from kassa.store.migrate import heads

    core_head = heads({})["core"]
    folder = versions(tmp_path, FIRST.replace('depends_on = "0003"',
                                              f'depends_on = "{core_head}"'))
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", migrations={"notes": folder})
    status = await store.status()
    assert [b.name for b in status] == ["core", "notes"]
    assert all(b.behind for b in status)
    await store.prepare()
    assert by_name(await store.status()) == {"core": (core_head, core_head),
                                             "notes": ("notes_0001", "notes_0001")}
    await store.close()


async def test_an_uninstalled_plugin_leaves_its_tables_and_start_works(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    store = Store(url, migrations={"notes": versions(tmp_path, FIRST)})
    await store.prepare()
    await store.close()
    store = Store(url)  # the plugin is gone
    await store.prepare()
    status = await store.status()
    assert by_name(status)["notes_0001"] == ("notes_0001", None)
    assert not any(b.behind for b in status)
    assert await columns(store, "notes") == ["id", "text"]
    await store.close()
    store = Store(url, migrations={"notes": versions(tmp_path, FIRST)})  # and back
    await store.prepare()
    assert by_name(await store.status())["notes"] == ("notes_0001", "notes_0001")
    await store.close()


async def test_bad_registrations_are_one_sentence_naming_the_plugin(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plugin 'notes' registered migrations in .* not a"):
        Store("sqlite+aiosqlite://", migrations={"notes": tmp_path / "missing"})
    with pytest.raises(ConfigError, match="may not use the branch name 'core'"):
        Store("sqlite+aiosqlite://", migrations={"core": tmp_path})
    unlabelled = tmp_path / "x"
    unlabelled.mkdir()
    (unlabelled / "x_0001.py").write_text(FIRST.replace('("notes",)', "None"))
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", migrations={"notes": unlabelled})
    with pytest.raises(ConfigError, match="plugin 'notes' carry no branch label 'notes'"):
        await store.prepare()
    await store.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A database of its own (the shared ``test`` database has other branches' rows)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    if not PG_URL:
        pytest.skip("KASSA_TEST_PG_URL not set")
    name = f"kassa_mig_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.dispose()


@pytest.mark.integration
async def test_postgresql_refuses_to_start_while_a_branch_is_behind(tmp_path: Path,
                                                                      pg_url: str) -> None:
    folder = versions(tmp_path, FIRST)
    store = Store(pg_url, migrations={"notes": folder})
    await store.prepare()  # an empty database is created at start, every branch
    assert not any(b.behind for b in await store.status())
    await store.close()

    versions(tmp_path, FIRST, SECOND)
    store = Store(pg_url, migrations={"notes": folder})
    with pytest.raises(ConfigError, match="'notes' tables are at revision notes_0001, this "
                                          "Kassa needs notes_0002: run `kassa db upgrade`"):
        await store.prepare()
    await store.upgrade()  # what `kassa db upgrade` does
    await store.prepare()
    assert await columns(store, "notes") == ["id", "text", "author"]
    await store.close()


def test_kassa_db_status_and_upgrade_list_every_branch(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from kassa.cli import cli

    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "kassa.db"}"\n'
                   f'[hub]\ndata_dir = "{tmp_path}"\n')
    runner = CliRunner()
    before = runner.invoke(cli, ["db", "status", "-c", str(cfg)])
    assert before.exit_code == 1, before.output
    lines = before.output.splitlines()
    assert lines[0].split()[:4] == ["core", "none", "head", lines[0].split()[3]]
    assert "behind: core" in lines[-1] and "run `kassa db upgrade`" in lines[-1]
    up = runner.invoke(cli, ["db", "upgrade", "-c", str(cfg)])
    assert up.exit_code == 0, up.output
    after = runner.invoke(cli, ["db", "status", "-c", str(cfg)])
    assert after.exit_code == 0, after.output
    rows = [line.split() for line in after.output.splitlines()]
    assert rows[0][0] == "core" and len(rows) == len(lines) - 1  # every branch, no hint
    assert all(r[1] == r[3] and r[4:] == ["up", "to", "date"] for r in rows), after.output
