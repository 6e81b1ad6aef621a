"""The scheduled Z report: at a site's ``[sites.z_report] at`` time (its own timezone), and/or
when the site's POS shift closes (``with_shift``). Each close runs through ``hub.fiscal``
under a key made from the day or the closing event, so a restart, a second hub or a repeated
event never closes a shift twice; a shift already closed is left alone."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from kassa.errors import UserError
from kassa.fiscal_ops import actions
from kassa.fiscal_ops.registers import Register, registers
from kassa.fiscal_ops.settings import ZReportSettings, parse_at
from kassa.model import Event

log = logging.getLogger("kassa.fiscal_ops.schedule")
SECTION = "z_report"
TICK_S = 30.0  # how often the clock is read: a Z at 23:55 runs before 23:56
# a Z runs only this long after its time: a hub started at 08:00 must not close the shift a
# cashier has just opened because "06:00 has passed today"
WINDOW = timedelta(minutes=30)


class ZSchedule:
    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.done: list[tuple[str, str, str]] = []  # (site, register, key) closed by us
        self.handled: set[str] = set()  # keys settled today (closed, or nothing to close)

    def site_settings(self, site: str) -> ZReportSettings | None:
        value = self.hub.site_section(site, SECTION)
        return value if isinstance(value, ZReportSettings) else None

    async def run(self) -> None:
        while True:
            await self.tick()
            await anyio.sleep(TICK_S)

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Close the shift of every site whose time has come today; the keys it ran."""
        now = now or self.hub.clock.now()
        ran: list[str] = []
        for site in self.hub.settings.sites:
            z = self.site_settings(site.code)
            at = parse_at(z.at) if z is not None else None
            if z is None or at is None:
                continue
            local = now.astimezone(ZoneInfo(site.timezone))
            due = local.replace(hour=at[0], minute=at[1], second=0, microsecond=0)
            if not due <= local < due + WINDOW:
                continue
            for reg in self._registers(site.code):
                key = f"z:{site.code}:{reg.name}:{local.date().isoformat()}"
                if key in self.handled:
                    continue
                if await self._close(reg, key, z):
                    ran.append(key)
        return ran

    async def on_event(self, event: Event) -> list[str]:
        """A POS shift close at a site linked to it: the register's Z report too."""
        z = self.site_settings(event.site)
        if z is None or not z.with_shift or not self._closes(event.kind, z):
            return []
        ran = []
        for reg in self._registers(event.site):
            key = f"z:{event.site}:{reg.name}:{event.id}"
            if await self._close(reg, key, z):
                ran.append(key)
        return ran

    def _closes(self, kind: str, z: ZReportSettings) -> bool:
        from kassa.kinds import default_closing

        kinds = self.hub.kinds
        closing = list(z.on) if z.on else default_closing(kinds)
        return kind in closing and kind != "z_report"  # never our own close again

    def _registers(self, site: str) -> list[Register]:
        return [r for r in registers(self.hub.settings, self.hub.fiscal_devices)
                if r.site == site]

    async def _close(self, reg: Register, key: str, z: ZReportSettings) -> bool:
        entry = await self.hub.journal.entry(key)
        if entry is not None and entry.status == "done":
            self.handled.add(key)
            return False  # today's is done: nothing to ask the register
        params = {"cashier": z.cashier} if z.cashier else {}
        try:
            await actions.run(self.hub, reg, "close-shift", params, key=key,
                              locale=self.hub.locale)
        except actions.ActionError as exc:
            if exc.code == "no_open_shift":
                self.handled.add(key)  # closed by hand (or never opened): nothing to do
                return False
            log.warning("scheduled Z report on %s at %s: %s", reg.name, reg.site, exc)
            return False
        except UserError as exc:
            log.warning("scheduled Z report on %s at %s: %s", reg.name, reg.site, exc)
            return False
        self.handled.add(key)
        self.done.append((reg.site, reg.name, key))
        log.info("scheduled Z report done on %s at %s (%s)", reg.name, reg.site, key)
        return True
