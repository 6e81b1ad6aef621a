"""Building reports: find the definition, work out the period, render for a chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import attrs

from kassa.errors import UserError
from kassa.i18n import t
from kassa.kinds import default_closing
from kassa.model import ChatRef, Message, Period, Report
from kassa.reports import periods
from kassa.reports.render import for_chat

if TYPE_CHECKING:
    from datetime import datetime

    from kassa.hookspecs.app import Clock
    from kassa.model import Event, EventKinds
    from kassa.plugins import Plugins


class ReportHost(Protocol):
    """What building a report reads from the hub (``kassa.hub.Hub`` has all of it)."""

    @property
    def settings(self) -> Any: ...  # kassa.config.Settings
    @property
    def clock(self) -> Clock: ...
    @property
    def kinds(self) -> EventKinds: ...
    @property
    def plugins(self) -> Plugins: ...  # the report registry
    @property
    def locale(self) -> str: ...

    async def events(self, *, site: str | None = None, kinds: Sequence[str] | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int | None = None) -> list[Event]: ...


@attrs.define
class ReportCtx:
    hub: Any
    locale: str


def site_tz(hub: ReportHost, site: str | None) -> ZoneInfo:
    s = hub.settings.site(site) if site else None
    return ZoneInfo(s.timezone if s else (hub.settings.sites[0].timezone
                                          if hub.settings.sites else "Europe/Moscow"))


async def shift_bounds(hub: ReportHost, site: str | None, until_event: str | None = None,
                       closing: Sequence[str] | None = None) -> tuple[Any, Any]:
    """(start, end) of the shift: after the previous close, up to this one (or now). A close
    is an event of the ``closing`` kinds (the chat's ``auto_reports_on``; by default those
    a source declares with ``closes_shift``)."""
    closing = list(closing) if closing else default_closing(hub.kinds)
    closes = await hub.events(site=site, kinds=closing) if closing else []
    end = None
    if until_event:
        idx = next((i for i, e in enumerate(closes) if e.id == until_event), None)
        if idx is not None:
            end = closes[idx].occurred_at
            closes = closes[:idx]
    # A close and the last checks share a second (r_keeper stamps whole seconds) and the
    # query's end is exclusive: a shift includes its close's second, the next one starts after.
    tick = timedelta(microseconds=1)
    start = closes[-1].occurred_at + tick if closes else None
    return start, (end + tick if end is not None else None)


async def period_for(hub: ReportHost, spec: str, site: str | None, locale: str,
                     event_id: str | None = None,
                     closing: Sequence[str] | None = None) -> Period:
    tz = site_tz(hub, site)
    now = hub.clock.now()
    start = end = None
    if spec == "shift":
        start, end = await shift_bounds(hub, site, event_id, closing)
        if end is not None:
            now = end
    return periods.parse(spec, now=now, tz=tz, locale=locale, shift_start=start,
                         shift_end=end is not None)


async def build(hub: ReportHost, name: str, site: str | None, period: Period,
                locale: str) -> Report:
    reports = hub.plugins.reports()
    if name not in reports:
        raise UserError(t("cmd.report.unknown", locale))
    return await reports[name].build(ReportCtx(hub=hub, locale=locale), site, period)


def site_label(hub: ReportHost, site: str | None, locale: str) -> str:
    if site is None:
        return t("report.all_sites", locale)
    s = hub.settings.site(site)
    return (s.name or s.code) if s else site


async def message_for(hub: ReportHost, chat: ChatRef, name: str, site: str | None, spec: str,
                      locale: str, *, event_id: str | None = None,
                      closing: Sequence[str] | None = None) -> Message:
    period = await period_for(hub, spec, site, locale, event_id, closing)
    report = await build(hub, name, site, period, locale)
    text, files = for_chat(report, site_label(hub, site, locale), locale)
    return Message(chat=chat, text=text, attachments=files, kind="report", event_id=event_id)


async def render_report_job(hub: ReportHost, job: dict[str, Any], chat: ChatRef) -> Message:
    """The outbox's deferred job: an auto-report at shift close, built when it is sent."""
    locale = job.get("locale") or hub.locale
    msg = await message_for(hub, chat, job["report"], job.get("site"), job.get("period", "shift"),
                            locale, event_id=job.get("event_id"), closing=job.get("closing"))
    title = t("report.auto", locale)
    return attrs.evolve(msg, text=f"🧾 {title}\n{msg.text}")
