"""What a site's source remembers across hub restarts, in the core's ``cursors`` table.

Per site: when the hub last saw it running (``seen``, epoch seconds), the common shift it
last saw (``shift`` and ``shift_day``, a date ordinal), and each station's last committed
event number (``st:<station>``). Without a hub (tests of the source alone) it lives in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassa.store.tables import CursorRow
from sqlalchemy import insert, select, update
from sqlmodel import col

NAME_LIMIT = 64  # cursors.name


class SiteMemory:
    def __init__(self, site: str, hub: Any = None) -> None:
        self.prefix = f"rk:{site}:"
        self.hub = hub
        self.values: dict[str, int] = {}

    def _name(self, key: str) -> str:
        return (self.prefix + key)[:NAME_LIMIT]

    async def load(self) -> dict[str, int]:
        if self.hub is not None:
            async with self.hub.engine.connect() as conn:
                rows = (await conn.execute(select(col(CursorRow.name), col(CursorRow.position))
                                           .where(col(CursorRow.name).startswith(self.prefix))
                                           )).all()
            self.values = {name[len(self.prefix):]: int(pos) for name, pos in rows}
        return dict(self.values)

    async def save(self, values: Mapping[str, int]) -> None:
        """Write ``values`` in one transaction (only those that changed)."""
        changed = {k: v for k, v in values.items() if self.values.get(k) != v}
        if not changed:
            return
        if self.hub is not None:
            now = self.hub.clock.now()
            rows = [(self._name(key), value) for key, value in changed.items()]

            def write(conn: Any) -> None:  # one short transaction, one hop on SQLite
                for name, value in rows:
                    res = conn.execute(update(CursorRow).where(
                        col(CursorRow.name) == name).values(position=value, updated_at=now))
                    if not res.rowcount:
                        conn.execute(insert(CursorRow).values(
                            name=name, position=value, updated_at=now))

            await self.hub.write_sync(write)
        self.values.update(changed)
