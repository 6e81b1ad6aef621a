"""Migrations of the core and of every plugin that keeps tables, each on its own alembic branch.

The core's revisions carry the branch label ``core``; a plugin's versions folder (from the
``register_migrations`` hook) holds a branch labelled with the plugin's name whose first
revision ``depends_on`` the core revision it needs. ``upgrade`` brings every branch to its
head ("heads"), in dependency order; ``status`` reports each branch's current and head revision.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

from kassa.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"
CORE = "core"


@attrs.frozen
class Branch:
    """One alembic branch: the core's or a plugin's tables."""

    name: str
    head: str | None  # None: a revision of a plugin that is not installed now
    current: str | None  # None: none of its revisions is applied yet

    @property
    def behind(self) -> bool:
        return self.head is not None and self.current != self.head


def check_locations(migrations: Mapping[str, str | Path]) -> dict[str, Path]:
    """The plugins' versions folders as paths; one sentence naming the plugin if one is bad."""
    out: dict[str, Path] = {}
    for name, folder in migrations.items():
        path = Path(folder)
        if name == CORE:
            raise ConfigError(f"plugin migrations may not use the branch name {CORE!r}",
                              path="register_migrations")
        if not path.is_dir():
            raise ConfigError(f"plugin {name!r} registered migrations in {str(path)!r}, which is"
                              " not a folder", path="register_migrations")
        out[name] = path
    return out


def alembic_config(connection: Any, migrations: Mapping[str, Path]) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")  # folders may contain spaces
    folders = [MIGRATIONS / "versions", *migrations.values()]
    cfg.set_main_option("version_locations", os.pathsep.join(str(f) for f in folders))
    cfg.attributes["connection"] = connection
    return cfg


def script(migrations: Mapping[str, Path]) -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None, migrations))


def heads(migrations: Mapping[str, Path]) -> dict[str, str]:
    """Branch name -> head revision; a branch's name is the label its revisions carry."""
    sd = script(migrations)
    out: dict[str, str] = {}
    # a head is what no revision revises; alembic's own "heads" also drops a revision that a
    # plugin's first migration depends on (a plugin needing the core's newest table), which
    # would hide the core's branch
    revised = {d for rev in sd.walk_revisions() for d in _names(rev.down_revision)}
    tips = [rev for rev in sd.walk_revisions() if rev.revision not in revised]
    for rev in sorted(tips, key=lambda r: r.revision):
        labels = sorted(rev.branch_labels)
        name = labels[0] if labels else rev.revision
        if name in out:
            raise ConfigError(f"the migrations of {name!r} have two heads ({out[name]},"
                              f" {rev.revision}): the plugin needs a merge revision",
                              path="register_migrations")
        out[name] = rev.revision
    missing = set(migrations) - set(out)
    if missing:
        name = sorted(missing)[0]
        raise ConfigError(f"the migrations of plugin {name!r} carry no branch label {name!r}",
                          path="register_migrations")
    return out


def _names(value: Any) -> tuple[str, ...]:
    """A down_revision / depends_on value (None, a name or a tuple) as a tuple."""
    if not value:
        return ()
    return tuple(value) if isinstance(value, tuple | list) else (str(value),)


def _applied(sd: Any, current: set[str]) -> set[str]:
    """Every revision the database has: its version rows and all they revise or depend on
    (alembic records a revision another branch depends on only implicitly)."""
    seen: set[str] = set()
    todo = list(current)
    while todo:
        rev = sd.get_revision(todo.pop())
        if rev is None or rev.revision in seen:
            continue
        seen.add(rev.revision)
        todo.extend(_names(rev.down_revision) + _names(rev.dependencies))
    return seen


def _walk_down(sd: Any, head: str) -> list[str]:
    """The revisions of one branch from the head down (what it revises, not what it depends
    on), newest first."""
    seen: list[str] = []
    todo = [head]
    while todo:
        rev = sd.get_revision(todo.pop(0))
        if rev is None or rev.revision in seen:
            continue
        seen.append(rev.revision)
        todo.extend(_names(rev.down_revision))
    return seen


def branches(connection: Any, migrations: Mapping[str, Path]) -> list[Branch]:
    """Every branch with the revision the database is at (sync; for ``run_sync``)."""
    from alembic.runtime.migration import MigrationContext

    sd = script(migrations)
    current = set(MigrationContext.configure(connection).get_current_heads())
    applied = _applied(sd, current - _unknown(sd, current))
    out = []
    for name, head in heads(migrations).items():
        # a branch another one depends on may be listed implicitly: the newest applied wins
        # (the first met walking down from the head; names need not sort in revision order)
        at = next((rev for rev in _walk_down(sd, head) if rev in applied), None)
        out.append(Branch(name=name, head=head, current=at))
    out += [Branch(name=rev, head=None, current=rev) for rev in sorted(_unknown(sd, current))]
    out.sort(key=lambda b: (b.name != CORE, b.head is None, b.name))
    return out


def _unknown(sd: Any, current: set[str]) -> set[str]:
    known = {rev.revision for rev in sd.walk_revisions()}
    return current - known


def upgrade(connection: Any, migrations: Mapping[str, Path], revision: str = "heads") -> None:
    """Upgrade in the caller's transaction. Revisions of plugins that are not installed any
    more (alembic refuses to run beside them) are set aside and put back, tables untouched."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    heads(migrations)  # every plugin's branch carries its name, one head each
    sd = script(migrations)
    gone = _unknown(sd, set(MigrationContext.configure(connection).get_current_heads()))
    version = sa.table("alembic_version", sa.column("version_num", sa.String))
    if gone:
        connection.execute(version.delete().where(version.c.version_num.in_(gone)))
    command.upgrade(alembic_config(connection, migrations), revision)
    if gone:
        connection.execute(version.insert(), [{"version_num": r} for r in sorted(gone)])
