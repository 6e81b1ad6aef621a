"""Check numbers on a store whose database is PostgreSQL: two store hubs (two till
servers) open checks at once and every check gets its own number, none lost, none shared
(``nox -s integration``). On SQLite writes are serial, so only PostgreSQL can race."""

from __future__ import annotations

from pathlib import Path

import anyio
import kassa_pos
import pytest
from kassa.testing import make_hub
from kassa_pos.engine.checkbook import CheckBook

from .test_check_store import ANNA, OLEG

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_two_servers_opening_checks_at_once_never_share_a_number(
        pg_url: str, tmp_path: Path) -> None:
    cfg = {"store": {"url": pg_url}, "sites": [{"code": "s1", "name": "Магазин"}],
           "pos": {"store": "s1"}}
    numbers: list[int] = []

    async def till(name: str, book: CheckBook) -> None:
        for _ in range(25):
            check = await book.open(name, actor=ANNA if name.endswith("1") else OLEG)
            assert check.number is not None
            numbers.append(check.number)

    async with make_hub(cfg, tmp_path / "a", plugins=[kassa_pos]) as a:
        async with make_hub(cfg, tmp_path / "b", plugins=[kassa_pos]) as b:
            books = [await CheckBook.of(a), await CheckBook.of(b)]
            async with anyio.create_task_group() as tg:
                for i, book in enumerate(books * 2):
                    tg.start_soon(till, f"till{i + 1}", book)
    assert sorted(numbers) == list(range(1, 101))
