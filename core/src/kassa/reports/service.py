"""Building reports: find the definition, work out the period, render for a chat."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from kassa.errors import UserError
from kassa.i18n import t
from kassa.model import ChatRef, Message, Period, Report
from kassa.reports import periods
from kassa.reports.render import for_chat

if TYPE_CHECKING:
    from kassa.hub import Hub


@attrs.define
class ReportCtx:
    hub: Any
    locale: str


def site_tz(hub: Hub, site: str | None) -> ZoneInfo:
    s = hub.settings.site(site) if site else None
    return ZoneInfo(s.timezone if s else (hub.settings.sites[0].timezone
                                          if hub.settings.sites else "Europe/Moscow"))


async def shift_bounds(hub: Hub, site: str | None, until_event: str | None = None
                       ) -> tuple[Any, Any]:
    """(start, end) of the shift: after the previous shift_closed, up to this one (or now)."""
    closes = await hub.events(site=site, kinds=["shift_closed"])
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


async def period_for(hub: Hub, spec: str, site: str | None, locale: str,
                     event_id: str | None = None) -> Period:
    tz = site_tz(hub, site)
    now = hub.clock.now()
    start = end = None
    if spec == "shift":
        start, end = await shift_bounds(hub, site, event_id)
        if end is not None:
            now = end
    return periods.parse(spec, now=now, tz=tz, locale=locale, shift_start=start,
                         shift_end=end is not None)


async def build(hub: Hub, name: str, site: str | None, period: Period, locale: str) -> Report:
    reports = hub.plugins.reports()
    if name not in reports:
        raise UserError(t("cmd.report.unknown", locale))
    return await reports[name].build(ReportCtx(hub=hub, locale=locale), site, period)


def site_label(hub: Hub, site: str | None, locale: str) -> str:
    if site is None:
        return t("report.all_sites", locale)
    s = hub.settings.site(site)
    return (s.name or s.code) if s else site


async def message_for(hub: Hub, chat: ChatRef, name: str, site: str | None, spec: str,
                      locale: str, *, event_id: str | None = None) -> Message:
    period = await period_for(hub, spec, site, locale, event_id)
    report = await build(hub, name, site, period, locale)
    text, files = for_chat(report, site_label(hub, site, locale), locale)
    return Message(chat=chat, text=text, attachments=files, kind="report", event_id=event_id)


async def render_report_job(hub: Hub, job: dict[str, Any], chat: ChatRef) -> Message:
    """The outbox's deferred job: an auto-report at shift close, built when it is sent."""
    locale = job.get("locale") or hub.locale
    msg = await message_for(hub, chat, job["report"], job.get("site"), job.get("period", "shift"),
                            locale, event_id=job.get("event_id"))
    title = t("report.auto", locale)
    return attrs.evolve(msg, text=f"🧾 {title}\n{msg.text}")
