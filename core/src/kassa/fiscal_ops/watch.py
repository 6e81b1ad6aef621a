"""The register monitor: polls each register's ``status()`` and emits a fiscal alert once
per episode (a shift, an FN, an OFD backlog, a paper-out, an outage), never every poll.

Once-each holds across restarts for what the register identifies (the shift number, the FN,
the oldest unsent document): the event's source key carries it and the event log keeps one
per key. Paper and link transitions are known only to this process: after a restart a
register still out of paper is reported once more.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from kassa.errors import KassaError
from kassa.fiscal_ops.registers import Register, aware, registers
from kassa.fiscal_ops.settings import FiscalSettings
from kassa.fiscal_ops.texts import say
from kassa.model import Event, FiscalStatus
from kassa.model.fiscal import SHIFT_LIMIT

log = logging.getLogger("kassa.fiscal_ops.watch")

# condition -> the event kind it raises
KINDS = {
    "shift_long": "fiscal_shift_long", "shift_expired": "fiscal_shift_expired",
    "fn_expiring": "fiscal_fn_expiring", "fn_filling": "fiscal_fn_filling",
    "fn_full": "fiscal_fn_full", "ofd_unsent": "fiscal_ofd_unsent",
    "ofd_overdue": "fiscal_ofd_overdue", "paper_out": "fiscal_paper_out",
    "paper_loaded": "fiscal_paper_loaded", "offline": "fiscal_register_offline",
    "online": "fiscal_register_online",
}


class Monitor:
    """``poll()`` asks every register once; ``run()`` polls every ``poll_interval``."""

    def __init__(self, hub: Any, settings: FiscalSettings | None = None) -> None:
        self.hub = hub
        self.settings = settings or FiscalSettings()
        self.raised: dict[tuple[str, str], set[str]] = {}  # (site, register) -> episode keys
        self.reachable: dict[tuple[str, str], bool] = {}
        self.paper: dict[tuple[str, str], bool] = {}
        self.last: dict[tuple[str, str], FiscalStatus] = {}
        self.transitions = 0

    def _moment(self, now: datetime) -> str:
        """A transition's episode: when it was seen, and which one in this process."""
        self.transitions += 1
        return f"{now:%Y%m%dT%H%M%S}.{self.transitions}"

    async def run(self) -> None:
        interval = self.settings.poll_interval
        await anyio.sleep(min(interval, 5.0))  # the hub registers its devices after start-up
        while True:
            await self.poll()
            await anyio.sleep(interval)

    async def poll(self) -> list[Event]:
        """One round over every register; the events it emitted."""
        out: list[Event] = []
        for reg in registers(self.hub.settings, self.hub.fiscal_devices):
            try:
                out.extend(await self.check(reg))
            except Exception:  # one register's surprise must not silence the others
                log.exception("fiscal monitor: checking %s at %s failed", reg.name, reg.site)
        return out

    async def check(self, reg: Register) -> list[Event]:
        at = (reg.site, reg.name)
        now = self.hub.clock.now()
        try:
            st = await self.hub.fiscal.status(site=reg.site, station=reg.station,
                                              device=reg.name)
        except (KassaError, OSError, TimeoutError) as exc:
            if self.reachable.get(at, True):
                self.reachable[at] = False
                gone = await self._emit(reg, "offline", self._moment(now), now,
                                        error=str(exc).rstrip("."))
                return [gone] if gone is not None else []
            return []
        st = aware(st)
        out: list[Event] = []
        if not self.reachable.get(at, True):
            out.append(await self._emit(reg, "online", self._moment(now), now))
        self.reachable[at] = True
        self.last[at] = st
        for cond, episode, params in self._conditions(st, now, reg.site):
            out.append(await self._emit(reg, cond, episode, now, **params))
        was_ok = self.paper.get(at, True)
        if was_ok and not st.paper_ok:
            out.append(await self._emit(reg, "paper_out", self._moment(now), now))
        elif not was_ok and st.paper_ok:
            out.append(await self._emit(reg, "paper_loaded", self._moment(now), now))
        self.paper[at] = st.paper_ok
        return [e for e in out if e is not None]

    def _conditions(self, st: FiscalStatus, now: datetime, site: str
                    ) -> list[tuple[str, str, dict[str, Any]]]:
        """(condition, episode, text parameters) of what is wrong now."""
        s = self.settings
        tz = _tz(self.hub, site)
        out: list[tuple[str, str, dict[str, Any]]] = []
        shift = st.shift if st.shift is not None else "?"
        opened = st.shift_opened_at.isoformat() if st.shift_opened_at else ""
        episode = f"{st.fn or ''}-{shift}-{opened}"
        age = now - st.shift_opened_at if st.shift_open and st.shift_opened_at else None
        if st.shift_open and (st.shift_expired or (age is not None and age > SHIFT_LIMIT)):
            out.append(("shift_expired", episode, {"shift": shift}))
        elif st.shift_opened_at and age is not None and \
                age >= timedelta(hours=s.shift_warn_hours):
            until = (st.shift_opened_at + SHIFT_LIMIT).astimezone(tz)
            out.append(("shift_long", episode, {"shift": shift, "hours": int(age.total_seconds()
                                                                           // 3600),
                                                "until": f"{until:%d.%m %H:%M}"}))
        fn = st.fn or "?"
        if st.fn_full:
            out.append(("fn_full", fn, {"fn": fn}))
        elif st.fn_used_percent is not None and st.fn_used_percent >= s.fn_fill_percent:
            out.append(("fn_filling", fn, {"fn": fn, "percent": st.fn_used_percent}))
        if st.fn_expires_at is not None and not st.fn_full:
            left = st.fn_expires_at - now
            if left <= timedelta(days=s.fn_expiry_days):
                out.append(("fn_expiring", fn, {
                    "fn": fn, "days": max(0, left.days),
                    "until": f"{st.fn_expires_at.astimezone(tz):%d.%m.%Y}"}))
        if st.unsent_documents and st.oldest_unsent_at is not None:
            backlog = now - st.oldest_unsent_at
            oldest = st.oldest_unsent_at.isoformat()
            if backlog >= timedelta(days=s.ofd_overdue_days):
                out.append(("ofd_overdue", oldest, {"days": backlog.days,
                                                    "count": st.unsent_documents}))
            elif backlog >= timedelta(hours=s.ofd_unsent_hours):
                out.append(("ofd_unsent", oldest, {
                    "count": st.unsent_documents, "hours": int(backlog.total_seconds() // 3600)}))
        return out

    async def _emit(self, reg: Register, cond: str, episode: str, now: datetime,
                    **params: Any) -> Any:
        """The alert for ``cond`` unless this episode was raised already (None then)."""
        at = (reg.site, reg.name)
        seen = self.raised.setdefault(at, set())
        mark = f"{cond}:{episode}"
        if mark in seen:
            return None
        seen.add(mark)
        kind = KINDS[cond]
        data = {"register": reg.name, **{k: str(v) for k, v in params.items()}}
        event = Event.of(site=reg.site, kind=kind, station=reg.station, occurred_at=now,
                         source_key=f"{kind}:{reg.name}:{episode}", data=data,
                         reason=say(f"al.{cond}", self.hub.locale, register=reg.name,
                                    **params))
        await self.hub.emit(event)
        log.info("fiscal monitor: %s on %s at %s", kind, reg.name, reg.site)
        return event


def _tz(hub: Any, site: str) -> ZoneInfo:
    s = hub.settings.site(site)
    return ZoneInfo(s.timezone if s is not None else "UTC")
