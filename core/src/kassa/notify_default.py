"""Built-in plugin: the default alert format (``trylast``, so any plugin can override it).

Messages are HTML (the subset both Telegram and MAX render); every interpolated value is
escaped here, once.
"""

from __future__ import annotations

import functools
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from kassa import hookimpl
from kassa.hookspecs.app import HubAPI
from kassa.i18n import kind_title, t
from kassa.model import ChatRef, Event, Message, Severity, Site
from kassa.model.money import rubles

ICON = {Severity.DANGER: "🔴", Severity.WARNING: "🟠", Severity.NOTICE: "🔵", Severity.INFO: "⚪"}
MAX_LINES = 15

def site_of(hub: HubAPI | None, code: str) -> Site:
    """The site's name and time zone from the running hub (its code alone without one)."""
    return hub.site(code) if hub is not None else Site(code=code, name=code)


def money(kopecks: int, locale: str) -> str:
    return f"{rubles(kopecks)} {label('unit.rub', locale)}"


def local_time(event: Event, site: Site) -> datetime:
    """When it happened, in the site's own time zone."""
    return event.occurred_at.astimezone(_zone(site.timezone))


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name or "Europe/Moscow")


@functools.lru_cache(maxsize=256)
def label(key: str, locale: str) -> str:
    return t(key, locale)


def summary_line(event: Event, locale: str, site: Site) -> str:
    """One escaped line for digests and lists."""
    when = f"{local_time(event, site):%H:%M}"
    parts = [f"{ICON[event.severity]} {when} <b>{escape(kind_title(event.kind, locale))}</b>",
             escape(site.name)]
    if event.employee:
        parts.append(escape(event.employee))
    if event.order:
        parts.append(f"№{escape(event.order)}")
    if event.amount is not None:
        parts.append(money(event.amount, locale))
    return " · ".join(parts)


def render_event(event: Event, locale: str, site: Site) -> str:
    lines = [f"{ICON[event.severity]} <b>{escape(kind_title(event.kind, locale))}</b>"]

    def field(key: str, value: object | None) -> None:
        if value is not None and value != "":
            lines.append(f"{label(key, locale)}: {escape(str(value))}")

    field("label.site", site.name)
    field("label.time", f"{local_time(event, site):%d.%m %H:%M:%S}")
    field("label.station", event.station)
    field("label.table", event.table)
    field("label.order", event.order)
    field("label.employee", event.employee)
    field("label.manager", event.manager)
    field("label.reason", event.reason)
    if event.kind == "site_online" and "outage_s" in event.data:
        mins = int(float(event.data["outage_s"]) // 60)
        secs = int(float(event.data["outage_s"]) % 60)
        field("label.outage", f"{mins}:{secs:02d}")
    if event.lines:
        lines.append(f"{t('label.dishes', locale)}:")
        for ln in event.lines[:MAX_LINES]:
            qty = ln.quantity.normalize()
            lines.append(f"• {escape(ln.name)} × {qty:f} = {money(ln.amount, locale)}")
        if len(event.lines) > MAX_LINES:
            lines.append(escape(t("digest.more", locale, count=len(event.lines) - MAX_LINES)))
    if event.amount is not None:
        lines.append(f"{t('label.amount', locale)}: <b>{money(event.amount, locale)}</b>")
    if event.text:
        lines.append(f"<pre>{escape(event.text)}</pre>")
    return "\n".join(lines)


@hookimpl(trylast=True)
def format_message(event: Event, chat: ChatRef, locale: str, hub: HubAPI | None) -> Message:
    text = render_event(event, locale, site_of(hub, event.site))
    return Message(chat=chat, text=text, severity=event.severity,
                   silent=event.severity.rank < Severity.WARNING.rank, kind="alert",
                   event_id=event.id)
