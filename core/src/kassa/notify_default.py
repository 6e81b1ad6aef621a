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
from kassa.i18n import kind_title, t
from kassa.model import ChatRef, Event, Message, Severity
from kassa.model.money import rubles

ICON = {Severity.DANGER: "🔴", Severity.WARNING: "🟠", Severity.NOTICE: "🔵", Severity.INFO: "⚪"}
MAX_LINES = 15

_site_names: dict[str, tuple[str, str]] = {}  # code -> (name, timezone); set by the hub


def set_sites(sites: dict[str, tuple[str, str]]) -> None:
    _site_names.clear()
    _site_names.update(sites)
    label.cache_clear()


def site_name(code: str) -> str:
    return _site_names.get(code, (code, ""))[0] or code


def money(kopecks: int, locale: str) -> str:
    return f"{rubles(kopecks)} {label('unit.rub', locale)}"


def local_time(event: Event) -> datetime:
    """When it happened, in the site's own time zone."""
    return event.occurred_at.astimezone(_zone(_site_names.get(event.site, ("", ""))[1]))


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name or "Europe/Moscow")


@functools.lru_cache(maxsize=256)
def label(key: str, locale: str) -> str:
    return t(key, locale)


def summary_line(event: Event, locale: str) -> str:
    """One escaped line for digests and lists."""
    when = f"{local_time(event):%H:%M}"
    parts = [f"{ICON[event.severity]} {when} <b>{escape(kind_title(event.kind, locale))}</b>",
             escape(site_name(event.site))]
    if event.employee:
        parts.append(escape(event.employee))
    if event.order:
        parts.append(f"№{escape(event.order)}")
    if event.amount is not None:
        parts.append(money(event.amount, locale))
    return " · ".join(parts)


def render_event(event: Event, locale: str) -> str:
    lines = [f"{ICON[event.severity]} <b>{escape(kind_title(event.kind, locale))}</b>"]

    def field(key: str, value: object | None) -> None:
        if value is not None and value != "":
            lines.append(f"{label(key, locale)}: {escape(str(value))}")

    field("label.site", site_name(event.site))
    field("label.time", f"{local_time(event):%d.%m %H:%M:%S}")
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
def format_message(event: Event, chat: ChatRef, locale: str) -> Message:
    return Message(chat=chat, text=render_event(event, locale), severity=event.severity,
                   silent=event.severity.rank < Severity.WARNING.rank, kind="alert",
                   event_id=event.id)
