"""The event-kind registry of a hub: what plugins declared with ``register_event_kinds``.

The core knows no source's kinds by name: severity, titles, templates and the flags
(``closes_shift``, ``offline``, ``online``, ``printout``) come from here. Kind names in
kassa.toml are checked against it once it is known (start, ``kassa config check``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kassa.errors import ConfigError, UserError
from kassa.model import EventKinds, EventKindSpec

if TYPE_CHECKING:
    from kassa.config import ChatSettings, Settings
    from kassa.plugins import Plugins

GROUP_PREFIX = "group:"  # alerts = ["group:fiscal"]: every kind of that group


def collect(plugins: Plugins) -> EventKinds:
    """Every kind ``plugins`` declare; the core's built-ins last, so a closing kind of a
    source is the first closing kind. Two plugins declaring one name is an error."""
    seen: dict[str, str] = {}
    own: list[tuple[str, EventKindSpec]] = []
    builtin: list[tuple[str, EventKindSpec]] = []
    for plugin, spec in plugins.event_kinds():
        if not isinstance(spec, EventKindSpec):
            raise UserError(f"plugin {plugin!r}: register_event_kinds must return "
                            f"EventKindSpec objects, not {type(spec).__name__}")
        if spec.name in seen and seen[spec.name] != plugin:
            raise UserError(f"plugins {seen[spec.name]!r} and {plugin!r} both declare the "
                            f"event kind {spec.name!r}")
        seen[spec.name] = plugin
        (builtin if plugin.startswith("kassa.") else own).append((plugin, spec))
    return EventKinds([s for _, s in own + builtin],
                      origin={s.name: p for p, s in own + builtin})


def installed() -> EventKinds:
    """The kinds of the installed plugins (entry points and built-ins)."""
    from kassa.plugins import get_plugins

    return collect(get_plugins())


def for_hub(plugins: Plugins) -> EventKinds:
    """A hub's registry: its own plugins' kinds over the installed ones (a test hub built
    with a plugin or two still renders every installed plugin's kinds)."""
    from kassa.plugins import get_plugins

    own = collect(plugins)
    if plugins is get_plugins():
        return own
    return installed().overlay(own)


def default_closing(kinds: EventKinds) -> list[str]:
    """The closing kinds that count when config names none: those a plugin other than the
    core declares (a source's shift close), not the core's own (the fiscal Z report)."""
    return [n for n in kinds.closing() if not kinds.origin(n).startswith("kassa.")]


def auto_report_kinds(chat: ChatSettings, kinds: EventKinds) -> list[str]:
    """The closing kinds that fire this chat's auto-reports: ``auto_reports_on`` if set,
    else ``default_closing``."""
    if chat.auto_reports_on:
        return list(chat.auto_reports_on)
    return default_closing(kinds)


def check_settings(settings: Settings, kinds: EventKinds) -> None:
    """Every kind named in ``[[chats]]`` is declared; otherwise one sentence with a hint."""
    names = [s.name for s in kinds]
    groups = sorted(kinds.groups())
    for i, chat in enumerate(settings.chats):
        path = f"chats[{i}]"
        for j, name in enumerate(chat.alerts):
            if name == "*":
                continue
            if name.startswith(GROUP_PREFIX):
                group = name[len(GROUP_PREFIX):]
                if group not in groups:
                    raise _unknown(settings, f"{path}.alerts[{j}]", "event kind group", group,
                                   groups)
            elif name not in kinds:
                raise _unknown(settings, f"{path}.alerts[{j}]", "event kind", name, names)
        closing = kinds.closing()
        for j, name in enumerate(chat.auto_reports_on):
            if name not in kinds:
                raise _unknown(settings, f"{path}.auto_reports_on[{j}]", "event kind", name,
                               names)
            if name not in closing:
                raise ConfigError(f"{name!r} does not close a shift (kinds that do: "
                                  f"{', '.join(closing) or 'none'})",
                                  path=f"{path}.auto_reports_on[{j}]", file=settings.file)


def warnings(settings: Settings, kinds: EventKinds) -> list[str]:
    """Config that is valid but will not do what it says: a chat with auto-reports that no
    declared kind sends (a shop with only a fiscal register and no ``auto_reports_on``)."""
    out = []
    for i, chat in enumerate(settings.chats):
        if chat.auto_reports and not auto_report_kinds(chat, kinds):
            closing = kinds.closing()
            hint = f"set auto_reports_on (closing kinds: {', '.join(closing)})" if closing \
                else "no installed plugin declares a kind that closes a shift"
            out.append(f"{settings.file}: chats[{i}]: auto_reports are never sent: {hint}")
    return out


def _unknown(settings: Settings, path: str, what: str, name: str,
             known: Sequence[str]) -> ConfigError:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else \
        " (no installed plugin declares it: see kassa plugins)"
    return ConfigError(f"unknown {what} {name!r}{hint}", path=path, file=settings.file)


def expand_alerts(alerts: Iterable[str], kinds: EventKinds) -> set[str]:
    """The kinds a chat names explicitly: kind names, plus every kind of a named group."""
    out: set[str] = set()
    for name in alerts:
        if name.startswith(GROUP_PREFIX):
            group = name[len(GROUP_PREFIX):]
            out.update(s.name for s in kinds if s.group == group)
        else:
            out.add(name)
    return out


def describe(kinds: EventKinds, locale: str) -> list[dict[str, Any]]:
    """The registry as plain data (the admin API, the console's filters)."""
    return [{"name": s.name, "title": s.title_in(locale), "severity": s.severity.value,
             "group": s.group, "closes_shift": s.closes_shift, "offline": s.offline,
             "online": s.online, "printout": s.printout, "sale": s.sale,
             "plugin": kinds.origin(s.name)}
            for s in kinds]
