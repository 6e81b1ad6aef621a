"""Which component serves a site or a station: the station's choice wins over the site's,
an explicit name wins over both. Checked against the registered components at start."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from kassa.config import Settings
from kassa.errors import ConfigError, UserError

# concern -> (the station's field, the site's field, what people call it)
_FIELDS = {
    "fiscal": ("fiscal", "fiscal", "fiscal register"),
    "terminal": ("terminal", "terminals", "card terminal"),
    "payment": ("", "payments", "payment method"),
    "printer": ("printer", "printers", "printer"),
    "scale": ("scale", "scales", "scale"),
    "video": ("", "", "video sink"),  # named by the caller
}


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return list(value)


class Selection:
    """Names components from config. ``components[concern]`` maps name -> component."""

    def __init__(self, settings: Settings, components: dict[str, dict[str, Any]]) -> None:
        self.settings = settings
        self.components = components

    def names(self, concern: str, *, site: str) -> list[str]:
        """Every installed ``concern`` component ``site`` may use, by name: the ones it
        names in kassa.toml, else (it names none) every installed one, as ``pick`` lets a
        caller name any of them then."""
        _st_field, site_field, _title = _FIELDS[concern]
        registry = self.components.get(concern, {})
        s = self.settings.site(site)
        allowed = _names(getattr(s, site_field)) if s is not None and site_field else []
        return [n for n in allowed if n in registry] if allowed else list(registry)

    def pick(self, concern: str, *, site: str, station: str | None = None,
             name: str | None = None) -> tuple[str, Any]:
        """The (name, component) for ``concern`` at the site/station; UserError if none."""
        st_field, site_field, title = _FIELDS[concern]
        registry = self.components.get(concern, {})
        s = self.settings.site(site)
        allowed = _names(getattr(s, site_field)) if s is not None and site_field else []
        if name is None and station is not None and st_field:
            st = self.settings.station(site, station)
            if st is not None and getattr(st, st_field):
                name = getattr(st, st_field)
                allowed = []  # the station's own choice needs no blessing from the site
        if name is None:
            if allowed:
                name = allowed[0]
            elif len(registry) == 1:
                name = next(iter(registry))  # one installed: nothing to choose
            else:
                where = f"station {station!r} at site {site!r}" if station else f"site {site!r}"
                raise UserError(f"no {title} is configured for {where}"
                                f" ({len(registry)} installed: name one in kassa.toml)"
                                ).localized(f"error.{concern}.none", site=site)
        elif allowed and name not in allowed:
            raise UserError(f"{title} {name!r} is not one of site {site!r}'s: "
                            + ", ".join(allowed)).localized(
                f"error.{concern}.not_sites", name=name, site=site, names=", ".join(allowed))
        comp = registry.get(name)
        if comp is None:
            raise UserError(f"no {title} named {name!r} is installed" + _hint(name, registry)
                            ).localized(f"error.{concern}.missing", name=name)
        return name, comp


def check(settings: Settings, components: Mapping[str, Mapping[str, Any]]) -> None:
    """At start: every component a site or station names exists, else one sentence naming
    the place and the missing component (with a did-you-mean)."""
    for concern, (st_field, site_field, title) in _FIELDS.items():
        registry = components.get(concern, {})
        for i, site in enumerate(settings.sites if site_field else ()):
            for name in _names(getattr(site, site_field)):
                if name not in registry:
                    raise ConfigError(f"site {site.code!r} names {title} {name!r}, which no"
                                      " installed plugin provides" + _hint(name, registry),
                                      path=f"sites[{i}].{site_field}", file=settings.file)
        if not st_field:
            continue
        for i, st in enumerate(settings.stations):
            name = getattr(st, st_field)
            if name and name not in registry:
                raise ConfigError(f"station {st.code!r} at site {st.site!r} names {title}"
                                  f" {name!r}, which no installed plugin provides"
                                  + _hint(name, registry),
                                  path=f"stations[{i}].{st_field}", file=settings.file)


def components(fiscal: Iterable[Any], payments: Iterable[Any],
               devices: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """What plugins registered, by concern and name: payment methods split into card
    terminals (they ``purchase``) and account payments; devices by their ``kind``."""
    out: dict[str, dict[str, Any]] = {c: {} for c in _FIELDS}
    out["fiscal"] = {d.name: d for d in fiscal}
    for m in payments:
        out["terminal" if hasattr(m, "purchase") else "payment"][m.name] = m
    for d in devices:
        concern = {"printer": "printer", "scale": "scale", "video": "video",
                   "terminal": "terminal"}.get(str(getattr(d, "kind", "")))
        if concern is not None:
            out[concern].setdefault(d.name, d)
    return out
