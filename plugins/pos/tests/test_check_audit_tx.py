"""A cashier action's check save and its audit events commit in one transaction: both land,
or (a stale save, a failing event write) neither does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kassa_pos
import pytest
import sqlalchemy as sa
from kassa.errors import UserError
from kassa.model import VatRate
from kassa.testing import make_hub
from kassa_pos.engine import check_tables
from kassa_pos.engine.catalog import Item, Lookup
from kassa_pos.engine.checkbook import CheckBook
from kassa_pos.engine.rights import AccessDenied, Person, Role
from kassa_pos.kinds import Kind

pytestmark = pytest.mark.anyio

CFG = {"sites": [{"code": "s1", "name": "Магазин"}],
       "pos": {"store": "s1", "tills": [{"name": "till1"}],
               "staff": [{"code": "1", "name": "Анна", "role": "cashier"}]}}
ANNA = Person("1", "Анна", Role.CASHIER)
MILK = Lookup(item=Item(code="m1", name="Молоко", vat=VatRate.VAT10, barcodes=("4600000000011",)),
              price=8990,
              barcode="4600000000011")
t = check_tables.check


async def version(h: Any, check_id: str) -> int:
    async with h.engine.connect() as conn:
        return int((await conn.execute(sa.select(t.c.version).where(t.c.id == check_id))
                    ).scalar_one())


async def kinds(h: Any) -> list[str]:
    return [e.kind for e in await h.events() if e.kind.startswith("pos_")]


async def test_an_action_and_its_events_commit_together(tmp_path: Path) -> None:
    async with make_hub(CFG, tmp_path, plugins=[kassa_pos]) as h:
        book = await CheckBook.of(h)
        q = h.listen()
        c = await book.open("till1", actor=ANNA)
        assert [e.order for _, e in [q.get_nowait()]] == [str(c.number)]  # named in the tx
        await book.add(c, MILK, actor=ANNA)
        assert await version(h, c.id) == 2
        assert await kinds(h) == [Kind.CHECK_OPENED, Kind.LINE_ADDED]
        assert [e.kind for _, e in [q.get_nowait()]] == [Kind.LINE_ADDED]

        # another till wrote the check meanwhile: the save is refused, its event with it
        async with h.transaction() as conn:
            await conn.execute(sa.update(t).where(t.c.id == c.id).values(version=7))
        with pytest.raises(UserError):
            await book.add(c, MILK, actor=ANNA)
        assert await kinds(h) == [Kind.CHECK_OPENED, Kind.LINE_ADDED]
        assert q.empty()


async def test_an_event_that_cannot_be_written_undoes_the_save(tmp_path: Path,
                                                               monkeypatch) -> None:
    async with make_hub(CFG, tmp_path, plugins=[kassa_pos]) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        real = h.emit

        def broken(event: Any, *, conn: Any = None) -> Any:
            if conn is not None:
                raise OSError("disk full")
            return real(event)

        monkeypatch.setattr(h, "emit", broken)
        with pytest.raises(OSError):
            await book.add(c, MILK, actor=ANNA)
        assert await version(h, c.id) == 1  # the line's save rolled back with its event
        monkeypatch.setattr(h, "emit", real)
        # a denial on a check is saved (its sequence number) and audited in one commit too
        with pytest.raises(AccessDenied):
            await book.void_line(c, 1, reason="x", actor=ANNA)
        assert await version(h, c.id) == 2
        assert await kinds(h) == [Kind.CHECK_OPENED, Kind.ACTION_DENIED]
