"""Fixtures shared by the pos plugin's integration tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A PostgreSQL URL whose search path is a fresh schema, dropped after the test."""
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{PG}?options=-csearch_path%3D{schema}"
    async with admin.begin() as c:
        await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    await admin.dispose()
