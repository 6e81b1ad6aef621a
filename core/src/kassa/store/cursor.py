"""A named position in the event log (the ``cursors`` table): how far a reader that must not
miss an event (the relay to the centre, the ``on_event`` listeners) has got."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from kassa.store.dialect import dialect_insert
from kassa.store.engine import Store
from kassa.store.tables import CursorRow


class Cursor:
    def __init__(self, store: Store, name: str, *, now: Callable[[], datetime]) -> None:
        self.store = store
        self.name = name
        self.now = now

    async def get(self) -> int | None:
        """The saved position; ``None``: never saved."""
        async with self.store.read() as conn:
            row = (await conn.execute(select(col(CursorRow.position)).where(
                col(CursorRow.name) == self.name))).first()
        return int(row.position) if row else None

    async def save(self, position: int, *, durable: bool = True) -> None:
        """``durable=False`` for a reader that may see an event again after a power cut
        (``Store.write``'s meaning)."""
        now = self.now()
        async with self.store.write(durable=durable) as conn:
            res = await conn.execute(update(CursorRow).where(col(CursorRow.name) == self.name)
                                     .values(position=position, updated_at=now))
            if not res.rowcount:
                await conn.execute(dialect_insert(conn, CursorRow).values(
                    name=self.name, position=position, updated_at=now))
