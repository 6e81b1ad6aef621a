"""Reference package numbers at a centre that lost packages (restored from an older backup):
the next version is above what any store reports it applied, or the stores, which ignore a
version not above their own, would never take the centre's packages again (real PostgreSQL,
``nox -s integration``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from kassa_pos.chain.refdata import assign, metadata, package_t, record_store, versions

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


async def test_a_restored_centre_numbers_past_the_versions_its_stores_hold(
        chain_engine: Any) -> None:
    eng = chain_engine
    async with eng.begin() as c:  # the backup: catalog up to 5
        await c.run_sync(metadata.create_all)
        await c.execute(package_t.insert(), [
            {"kind": "catalog", "version": v, "created_at": AT, "stores": json.dumps(["S01"]),
             "digest": f"d{v}", "body": None} for v in range(1, 6)])
        # what the stores report since (their ref documents): S01 applied 7, S02 6
        await record_store(c, "S01", {"kind": "catalog", "version": 7,
                                      "applied_at": AT.isoformat()})
        await record_store(c, "S02", {"kind": "catalog", "version": 6,
                                      "applied_at": AT.isoformat()})
    assert await assign(eng, "catalog", ["S01", "S02"], "d8", now=AT) == 8
    assert await assign(eng, "catalog", ["S01"], "d9", now=AT) == 9  # then as ever
    assert await assign(eng, "rules", ["S01"], "r1", now=AT) == 1  # per kind
    async with eng.connect() as c:
        published, applied = await versions(c)
    assert published == {"catalog": 9, "rules": 1}
    assert applied["S01"]["catalog"]["version"] == 7
