"""Fixtures: the Lime simulator on a real socket, and the plugin's parts pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from kassa import config
from kassa_lime.accounts import LimeAccounts
from kassa_lime.client import LimeClient
from kassa_lime.kinds import Kind
from kassa_lime.settings import LimeSettings
from kassa_lime.sim import LimeSimulator
from kassa_lime.store import LimeStore

CARD_A, CARD_B, CARD_EXPIRED = "7799000", "7799001", "7799007"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings_for(sim: LimeSimulator, tmp_path: Path, **kw: Any) -> LimeSettings:
    """The simulator's kassa.toml fragment, read as the hub reads it."""
    data = {**sim.fragment()["lime"], "state_dir": str(tmp_path / "lime"), "timeout": 2.0, **kw}
    settings: LimeSettings = config.parse({"lime": data},
                                          sections={"lime": LimeSettings}).plugins["lime"]
    return settings


class Alerts(list[tuple[Kind, str, dict[str, Any]]]):
    async def __call__(self, kind: Kind, text: str, data: dict[str, Any]) -> None:
        self.append((kind, text, data))

    def kinds(self) -> list[Kind]:
        return [k for k, _, _ in self]


def make_accounts(settings: LimeSettings, alerts: Alerts | None = None) -> LimeAccounts:
    client = LimeClient(settings.base_url, username=settings.username,
                        password=settings.password, timeout=settings.timeout)
    store = LimeStore(Path(settings.state_dir) / "lime.db")
    return LimeAccounts(settings, client, store, alert=alerts)


async def close(acc: LimeAccounts) -> None:
    await acc.client.aclose()
    acc.store.close()


@asynccontextmanager
async def lime(tmp_path: Path, **kw: Any
               ) -> AsyncIterator[tuple[LimeSimulator, LimeAccounts, Alerts]]:
    sim = LimeSimulator()
    await sim.start()
    alerts = Alerts()
    acc = make_accounts(settings_for(sim, tmp_path, **kw), alerts)
    try:
        yield sim, acc, alerts
    finally:
        await close(acc)
        await sim.stop()


def rights(sim: LimeSimulator, uid: str) -> dict[str, int]:
    card = sim.model.card_by_uid(uid)
    assert card is not None
    return {r.name: r.amount for r in card.rights.values()}
