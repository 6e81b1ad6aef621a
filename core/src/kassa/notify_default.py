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
from kassa.i18n import t
from kassa.model import ChatRef, Event, EventKinds, Message, Severity, Site
from kassa.model.event import current_kinds
from kassa.model.money import format_money

ICON = {Severity.DANGER: "🔴", Severity.WARNING: "🟠", Severity.NOTICE: "🔵", Severity.INFO: "⚪"}
MAX_LINES = 15

def site_of(hub: HubAPI | None, code: str) -> Site:
    """The site's name and time zone from the running hub (its code alone without one)."""
    return hub.site(code) if hub is not None else Site(code=code, name=code)


def money(kopecks: int, locale: str) -> str:
    """The one money format (the console's too): "1 282,50 ₽"."""
    return format_money(kopecks, locale)


def local_time(event: Event, site: Site) -> datetime:
    """When it happened, in the site's own time zone."""
    return event.occurred_at.astimezone(_zone(site.timezone))


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name or "Europe/Moscow")


@functools.lru_cache(maxsize=256)
def label(key: str, locale: str) -> str:
    return t(key, locale)


def kinds_of(hub: HubAPI | None) -> EventKinds:
    """The running hub's kind registry (the current one without a hub)."""
    found = getattr(hub, "kinds", None)
    return found if isinstance(found, EventKinds) else current_kinds()


def summary_line(event: Event, locale: str, site: Site, kinds: EventKinds | None = None
                 ) -> str:
    """One escaped line for digests and lists."""
    when = f"{local_time(event, site):%H:%M}"
    title = (kinds or current_kinds()).title(event.kind, locale)
    parts = [f"{ICON[event.severity]} {when} <b>{escape(title)}</b>",
             escape(site.name)]
    if event.employee:
        parts.append(escape(event.employee))
    if event.order:
        parts.append(f"№{escape(event.order)}")
    if event.amount is not None:
        parts.append(money(event.amount, locale))
    return " · ".join(parts)


def render_event(event: Event, locale: str, site: Site, kinds: EventKinds | None = None
                 ) -> str:
    """The alert: the kind's title, then its declared template or the standard fields."""
    spec = (kinds or current_kinds()).get(event.kind)
    title = spec.title_in(locale) if spec is not None else event.kind
    lines = [f"{ICON[event.severity]} <b>{escape(title)}</b>"]
    template = spec.template_in(locale) if spec is not None else None
    if template is not None:
        lines.append(template.format(**template_values(event, locale, site)))
        return "\n".join(lines)

    def field(key: str, value: object | None) -> None:
        if value is not None and value != "":
            lines.append(labelled(label(key, locale), str(value)))

    field("label.site", site.name)
    field("label.time", f"{local_time(event, site):%d.%m %H:%M:%S}")
    field("label.station", event.station)
    field("label.table", event.table)
    field("label.order", event.order)
    field("label.employee", event.employee)
    field("label.manager", event.manager)
    field("label.reason", event.reason)
    if spec is not None and spec.online and "outage_s" in event.data:
        mins = int(float(event.data["outage_s"]) // 60)
        secs = int(float(event.data["outage_s"]) % 60)
        field("label.outage", f"{mins}:{secs:02d}")
    if event.lines:
        lines.append(f"{t('label.dishes', locale)}:")
        lines.extend(dish_lines(event, locale))
    if event.amount is not None:
        lines.append(f"{t('label.amount', locale)}: <b>{money(event.amount, locale)}</b>")
    if event.text:
        lines.append(f"<pre>{escape(event.text)}</pre>")
    return "\n".join(lines)


def labelled(name: str, value: str) -> str:
    """``Стол: 8``; a value that already starts with its label ("Стол 8") prints once."""
    if value.casefold().startswith(name.casefold() + " "):
        return escape(value)
    return f"{name}: {escape(value)}"


def dish_lines(event: Event, locale: str) -> list[str]:
    out = []
    for ln in event.lines[:MAX_LINES]:
        qty = ln.quantity.normalize()
        out.append(f"• {escape(ln.name)} × {qty:f} = {money(ln.amount, locale)}")
    if len(event.lines) > MAX_LINES:
        out.append(escape(t("digest.more", locale, count=len(event.lines) - MAX_LINES)))
    return out


class _Data(dict[str, str]):
    """``{data[x]}`` in a template: escaped, "" for what this event does not carry."""

    def __missing__(self, key: str) -> str:
        return ""


def template_values(event: Event, locale: str, site: Site) -> dict[str, object]:
    """Every name a kind's template may use, escaped ("" when the event lacks it)."""
    def text(value: object | None) -> str:
        return "" if value is None else escape(str(value))

    values: dict[str, object] = {
        "site": text(site.name), "time": f"{local_time(event, site):%d.%m %H:%M:%S}",
        "station": text(event.station), "table": text(event.table),
        "order": text(event.order), "employee": text(event.employee),
        "manager": text(event.manager), "reason": text(event.reason),
        "amount": money(event.amount, locale) if event.amount is not None else "",
        "text": text(event.text), "dishes": "\n".join(dish_lines(event, locale)),
        "data": _Data({str(k): text(v) for k, v in event.data.items()}),
    }
    return values


@hookimpl(trylast=True)
def format_message(event: Event, chat: ChatRef, locale: str, hub: HubAPI | None) -> Message:
    text = render_event(event, locale, site_of(hub, event.site), kinds_of(hub))
    return Message(chat=chat, text=text, severity=event.severity,
                   silent=event.severity.rank < Severity.WARNING.rank, kind="alert",
                   event_id=event.id)
