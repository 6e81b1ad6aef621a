"""Machine facts as an operator reads them: an event's data and a component's health as
labelled lines ("Расхождение часов: 15 ч 0 мин"), never as Python dicts or raw keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from kassa_console.i18n import moment, t

# keys the operator never needs to see as a line: shown elsewhere or internal
HIDDEN = frozenset({"online", "ok", "warning", "warnings", "groups", "station_id"})


def duration(seconds: float, locale: str) -> str:
    """``53976.8`` -> ``15 ч 0 мин``; under a minute ``42 с``; the sign says ahead/behind."""
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return sign + t("unit.h_min", locale, h=hours, m=minutes)
    if minutes:
        return sign + t("unit.min_s", locale, m=minutes, s=secs)
    return sign + t("unit.s", locale, s=secs)


def label(key: str, locale: str) -> str:
    """The key's label in the console's catalogue; an unknown key reads as words."""
    text = t(f"field.{key}", locale)
    if text != f"field.{key}":
        return text
    return key.replace("_", " ").capitalize()


def value(key: str, raw: Any, locale: str) -> str | None:
    """The value as words; None when there is nothing to say (empty, unset)."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        return None
    if isinstance(raw, bool):
        return t("value.yes" if raw else "value.no", locale)
    if key.endswith("_s") and isinstance(raw, (int, float)):
        return duration(float(raw), locale)
    if isinstance(raw, str) and len(raw) >= 19 and raw[4] == "-" and raw[10] == "T":
        try:
            return moment(datetime.fromisoformat(raw))
        except ValueError:
            return raw
    if isinstance(raw, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in raw.items() if v not in (None, ""))
    if isinstance(raw, (list, tuple)):
        return ", ".join(str(v) for v in raw)
    return str(raw)


def lines(facts: Mapping[str, Any], locale: str) -> Iterator[tuple[str, str]]:
    """(label, value) per fact worth a line, in key order."""
    for key in sorted(facts):
        if key in HIDDEN:
            continue
        shown = value(key, facts[key], locale)
        if shown is not None:
            yield label(key, locale), shown


def is_online(health: Mapping[str, Any]) -> bool:
    """A component's ``online``; one that does not say (a channel reporting only its
    counters) is online unless its last attempt failed."""
    online = health.get("online")
    if online is not None:
        return bool(online)
    return not (health.get("last_error") or health.get("error"))
