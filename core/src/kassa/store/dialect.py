"""SQL that differs between the store's two dialects (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(conn: AsyncConnection, table: Any) -> Any:
    """INSERT with ``on_conflict_do_nothing`` / ``on_conflict_do_update`` for the
    connection's dialect (both dialects spell them the same way)."""
    if conn.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


__all__ = ["dialect_insert"]
