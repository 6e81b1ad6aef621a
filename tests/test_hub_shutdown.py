"""A hub stopped the instant it started leaves nothing behind: a plugin job cut off in the
middle of a read through ``hub.engine`` used to leave SQLAlchemy's connection close waiting
forever (a task the event loop's close then waited on)."""

from __future__ import annotations

import asyncio

import pytest
from kassa import hookimpl
from kassa.testing import make_hub
from sqlalchemy import text

pytestmark = pytest.mark.anyio


class Reader:
    """A plugin whose job reads through hub.engine without pause (as a ledger's scheduler)."""

    @hookimpl
    async def on_startup(self, hub):
        async def job() -> None:
            while True:
                async with hub.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))

        hub.spawn(job, name="reader")


def _left() -> list[asyncio.Task[object]]:
    me = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not me and not t.done()
            and "_call_in_runner_task" not in repr(t.get_coro())]


async def test_start_and_stop_at_once_leaves_no_task(tmp_path):
    for i in range(12):
        async with make_hub({}, tmp_path / str(i), plugins=[Reader()]):
            pass
        assert not _left(), _left()
