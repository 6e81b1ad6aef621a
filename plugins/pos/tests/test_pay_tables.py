"""The pay migration (pos_pay_0001) makes exactly the tables engine/pay_tables.py describes."""

from __future__ import annotations

import kassa_pos
import pytest
from kassa.testing import make_hub
from kassa_pos.engine import pay_tables

pytestmark = pytest.mark.anyio


async def test_a_migrated_database_matches_pay_tables(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def ours(obj, name, type_, reflected, compare_to):
        return type_ != "table" or str(name).startswith("pos_pay_")

    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        async with hub.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(
                c, opts={"include_object": ours}), pay_tables.metadata))
            names = await conn.run_sync(
                lambda c: {n for n in c.dialect.get_table_names(c) if n.startswith("pos_pay")})
    assert diff == []
    assert names == set(pay_tables.metadata.tables)
