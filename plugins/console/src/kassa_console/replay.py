"""Replay a recorded event log through the console (dolphie's idea): the same interface as
``AdminClient``, answered from the events played so far. Read-only: nothing is sent."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from pathlib import Path

import anyio
from kassa.api.client import ApiError, StateCallback
from kassa.api.records import (
    ChatSummary,
    EventDetail,
    EventRecord,
    Health,
    LogRecord,
    OutboxMessage,
    OutboxStats,
    PluginsInfo,
    Report,
    ReportInfo,
    SiteStatus,
)
from kassa.codec import from_dict
from kassa.errors import UserError
from kassa.model import Event, EventKind, Severity
from kassa.model.report import Chart, Column, Period

from kassa_console.filters import EventFilter
from kassa_console.i18n import t

SALES_BY_HOUR = "sales_by_hour"
MAX_GAP_S = 2.0  # a quiet hour in the recording should not stall the replay


def load_events(path: str | Path) -> list[Event]:
    """Events from a JSON-lines file: one Event dict (or ``{"seq", "event"}``) per line."""
    events: list[Event] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read the recording {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            events.append(from_dict(data.get("event", data), Event))
        except Exception as exc:  # any malformed line: say where, keep nothing half-read
            raise UserError(f"{path}:{number}: not an event ({type(exc).__name__}: "
                            f"{str(exc)[:120]})") from None
    events.sort(key=lambda e: e.occurred_at)
    return events


class ReplayClient:
    """Plays ``events`` at ``speed`` times real time (0 = all at once)."""

    def __init__(self, events: Iterable[Event], *, speed: float = 10.0, name: str = "replay",
                 locale: str = "ru") -> None:
        from kassa.kinds import installed

        self._pending = list(events)
        self._played: list[EventRecord] = []
        # sales (checks, revenue) are the kinds plugins declare as such: none is hard-coded
        self._sales = frozenset(installed().sales())
        self.speed = speed
        self.locale = locale
        self._name = name

    @classmethod
    def from_file(cls, path: str | Path, *, speed: float = 10.0, locale: str = "ru"
                  ) -> ReplayClient:
        return cls(load_events(path), speed=speed, name=str(path), locale=locale)

    @property
    def address(self) -> str:
        return self._name

    @property
    def replaying(self) -> bool:
        return True

    @property
    def finished(self) -> bool:
        return not self._pending

    def now(self) -> datetime | None:
        """The replay clock: when the last played event happened."""
        return self._played[-1].event.occurred_at if self._played else None

    def play(self, count: int | None = None) -> list[EventRecord]:
        """Play the next ``count`` events (all if None) at once; for tests and seeking."""
        taken = self._pending[:count] if count is not None else self._pending
        self._pending = self._pending[len(taken):]
        out = [EventRecord(seq=len(self._played) + i + 1, event=e) for i, e in enumerate(taken)]
        self._played.extend(out)
        return out

    async def stream_events(self, on_state: StateCallback | None = None
                            ) -> AsyncIterator[EventRecord]:
        if on_state is not None:
            on_state(True)
        while self._pending:
            if self.speed > 0 and self._played:
                gap = (self._pending[0].occurred_at - self._played[-1].event.occurred_at)
                await anyio.sleep(min(MAX_GAP_S, max(0.0, gap.total_seconds()) / self.speed))
            for rec in self.play(1):
                yield rec
        await anyio.sleep_forever()  # the recording is over; the screens stay

    # --- the admin API, answered from what was played -----------------------------------------
    async def health(self) -> Health:
        return Health(status="ok", name=self._name, version="replay", locale=self.locale)

    async def sites(self) -> list[SiteStatus]:
        by_site: dict[str, list[Event]] = {}
        for rec in self._played:
            by_site.setdefault(rec.event.site, []).append(rec.event)
        return [_site_status(code, evs, self._sales) for code, evs in sorted(by_site.items())]

    async def events(self, *, site: str | None = None, kind: str | None = None,
                     employee: str | None = None, q: str | None = None, limit: int = 100,
                     before: int | None = None) -> list[EventRecord]:
        flt = EventFilter(site=site, kind=kind, employee=employee, text=q)
        out = [r for r in reversed(self._played)
               if (before is None or r.seq < before) and flt.matches(r.event)]
        return out[:limit]

    async def event(self, event_id: str) -> EventDetail:
        for rec in self._played:
            if rec.event.id == event_id:
                return EventDetail(seq=rec.seq, event=rec.event, messages=())
        raise ApiError(404, "not_found", f"no event {event_id}")

    async def events_per_minute(self, minutes: int = 30) -> list[int]:
        now = self.now()
        if now is None:
            return [0] * minutes
        start = now.replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
        counts = [0] * minutes
        for rec in self._played:
            idx = int((rec.event.occurred_at - start).total_seconds() // 60)
            if 0 <= idx < minutes:
                counts[idx] += 1
        return counts

    async def outbox(self) -> OutboxStats:
        return OutboxStats()

    async def outbox_messages(self, *, channel: str | None = None, chat_id: str | None = None,
                              status: str | None = None, limit: int = 100
                              ) -> list[OutboxMessage]:
        return []

    async def retry(self, message_id: int) -> None:
        raise ApiError(409, "read_only", t("replay.read_only", self.locale))

    async def chats(self) -> list[ChatSummary]:
        return []

    async def plugins(self) -> PluginsInfo:
        return PluginsInfo()

    async def reports(self) -> list[ReportInfo]:
        return [ReportInfo(SALES_BY_HOUR, t("replay.report.sales_by_hour", self.locale))]

    async def report(self, name: str, *, site: str | None, period: str) -> Report:
        if name != SALES_BY_HOUR:
            raise ApiError(404, "not_found", f"no report {name}")
        checks = [r.event for r in self._played if r.event.kind in self._sales
                  and (not site or r.event.site == site)]
        by_hour: Counter[int] = Counter()
        count: Counter[int] = Counter()
        for e in checks:
            by_hour[e.occurred_at.hour] += e.amount or 0
            count[e.occurred_at.hour] += 1
        rows = [(f"{h:02d}:00", count[h], by_hour[h]) for h in sorted(by_hour)]
        now = self.now() or datetime.now().astimezone()
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return Report(
            name=name, title=t("replay.report.sales_by_hour", self.locale), site=site or None,
            period=Period(start, now, t("period.today", self.locale)),
            columns=(Column("hour", t("replay.col.hour", self.locale)),
                     Column("checks", t("col.checks", self.locale), "int"),
                     Column("revenue", t("col.revenue", self.locale), "money")),
            rows=rows, totals=("", sum(count.values()), sum(by_hour.values())),
            chart=Chart(x="hour", y="revenue"), notes=())

    async def log(self, limit: int = 200) -> list[LogRecord]:
        return [LogRecord(time="", level="INFO", logger="kassa_console.replay",
                          message=f"replay of {self._name}: {len(self._played)} played, "
                                  f"{len(self._pending)} to go, speed x{self.speed:g}")]

    async def aclose(self) -> None:
        return None


def _site_status(code: str, events: list[Event], sales: frozenset[str]) -> SiteStatus:
    """A site's dashboard row from its events: the link state is the last online/offline fact."""
    online, since = True, events[0].occurred_at
    for e in events:
        if e.kind in (EventKind.SITE_OFFLINE, EventKind.SITE_ONLINE):
            online, since = e.kind == EventKind.SITE_ONLINE, e.occurred_at
    day = events[-1].occurred_at.date()
    today = [e for e in events if e.occurred_at.date() == day]
    checks = [e for e in today if e.kind in sales]
    return SiteStatus(
        code=code, name=code, online=online, since=since, last_event_at=events[-1].occurred_at,
        events_today=len(today), checks_today=len(checks),
        revenue_today=sum(e.amount or 0 for e in checks),
        alerts_today=sum(1 for e in today if e.severity.rank >= Severity.WARNING.rank),
        stations=sorted({e.station for e in events if e.station is not None}))
