"""delivery_0002 on a store that already holds jobs: every old job becomes a sale, the
constraints the dedup relies on survive SQLite's batch rebuild of the table."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from kassa.store import Store
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.anyio
MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "kassa_delivery" / "migrations"
ROW = ("INSERT INTO delivery_job (idem_key, order_id, payment_id, body_hash, site, register, "
       "driver, mode, payment_kind, amount, request, warnings, status, wait_alerted, "
       "copy_status, copy_attempts, accepted_at) VALUES ('{key}', 'A-1', '1', 'h', 'd1', "
       "'fr1', 'anna', 'copy', 'cash', 100, '{{}}', '[]', 'fiscalised', 0, 'sent', 1, "
       "'2026-11-24T09:00:00.000000Z')")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_old_jobs_become_sales_and_dedup_constraints_stay(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
                  migrations={"delivery": MIGRATIONS})
    try:
        await store.upgrade("delivery_0001")
        async with store.engine.begin() as conn:
            await conn.exec_driver_sql(ROW.format(key="app:k1"))
        await store.upgrade()
        async with store.engine.begin() as conn:
            got = (await conn.exec_driver_sql(
                "SELECT kind, refund_of FROM delivery_job")).all()
            assert [tuple(r) for r in got] == [("sale", None)]
            names = {i["name"] for i in await conn.run_sync(
                lambda c: sa.inspect(c).get_indexes("delivery_job"))}
            assert {"ix_delivery_job_queue", "ix_delivery_job_refund_of"} <= names
        with pytest.raises(IntegrityError):  # the same order + payment again
            async with store.engine.begin() as conn:
                await conn.exec_driver_sql(ROW.format(key="app:k2"))
    finally:
        await store.close()
