"""Journal.done_between: the calls made in a period (what the OFD plugin reconciles)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from kassa.errors import Permanent
from kassa.journal import Journal
from kassa.store import Store

pytestmark = pytest.mark.anyio


async def test_done_between_returns_done_rows_of_the_period_and_concern(tmp_path):
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'kassa.db'}")
    await store.prepare()
    clock = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    j = Journal(store, now=lambda: clock[0])

    async def run(key: str, concern: str, fail: bool = False) -> None:
        async def call() -> dict[str, int]:
            if fail:
                raise Permanent("refused")
            return {"n": 1}

        try:
            await j.run(key, component="reg", concern=concern, kind="receipt", site="s1",
                        station=None, request={"k": key}, call=call, lookup=None,
                        result_type=dict)
        except Permanent:
            pass

    try:
        await run("early", "fiscal")
        clock[0] += timedelta(hours=2)
        await run("in-1", "fiscal")
        await run("payment", "payment")
        await run("refused", "fiscal", fail=True)
        clock[0] += timedelta(hours=2)
        await run("late", "fiscal")
        since = datetime(2026, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=3)))  # 10:30 UTC
        got = await j.done_between(since, datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
                                   concern="fiscal")
        assert [e.key for e in got] == ["in-1"]
        assert [e.key for e in await j.done_between(since)] == ["in-1", "payment", "late"]
    finally:
        await store.close()
