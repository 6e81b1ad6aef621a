"""The plugin's parts for one hub, built once from ``[lime]``: the client, the store, the
payment method, the loyalty programme, and how an alert becomes an event."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kassa.model import Event, Period, Report

from kassa_lime.accounts import LimeAccounts
from kassa_lime.client import LimeClient
from kassa_lime.kinds import Kind
from kassa_lime.loyalty import LimeLoyalty
from kassa_lime.reports import card_history
from kassa_lime.settings import LimeSettings
from kassa_lime.store import LimeStore


class LimeRuntime:
    def __init__(self, hub: Any, settings: LimeSettings) -> None:
        self.hub, self.settings = hub, settings
        sites = getattr(hub.settings, "sites", None) or []
        self.site = settings.site or (sites[0].code if sites else "lime")
        self.tz = ZoneInfo(settings.timezone)
        data = Path(settings.state_dir) if settings.state_dir else \
            Path(hub.settings.data_path) / "lime"
        self.store = LimeStore(data / "lime.db")
        self.client = LimeClient(settings.base_url, username=settings.username,
                                 password=settings.password, client_id=settings.client_id,
                                 timeout=settings.timeout, tz=self.tz)
        locale = getattr(getattr(hub.settings, "hub", None), "locale", "ru") or "ru"
        self.accounts = LimeAccounts(settings, self.client, self.store,
                                     now=hub.clock.now, alert=self.alert, locale=locale,
                                     journal=getattr(hub, "journal", None), site=self.site)
        self.loyalty = LimeLoyalty(self.accounts, settings.name)

    async def alert(self, kind: Kind, text: str, data: dict[str, Any]) -> None:
        key = data.get("key") or uuid.uuid4().hex
        await self.hub.emit(Event.of(site=self.site, kind=kind, occurred_at=self.hub.clock.now(),
                                     source_key=f"lime:{kind}:{key}", text=text or None,
                                     data={k: v for k, v in data.items() if v is not None}))

    def card_history(self, uid: str, period: Period) -> Report:
        """A card's operations for the console's card lookup (``hub.state("lime")``)."""
        return card_history(self.store, uid, period, tz=self.tz,
                            cashdesk=f"Касса {self.settings.cashdesk_id}",
                            operator=str(self.settings.user_id))

    async def close(self) -> None:
        self.accounts.delivery.stopped = True
        await self.client.aclose()
        self.store.close()


def runtime_for(hub: Any) -> LimeRuntime | None:
    """The hub's Lime parts; None when ``[lime].base_url`` is not set (the plugin idles)."""
    state = hub.state("lime")
    if "runtime" not in state:
        settings = hub.section("lime", LimeSettings)
        state["runtime"] = LimeRuntime(hub, settings) if settings.base_url else None
    rt: LimeRuntime | None = state["runtime"]
    return rt
