"""What kassa.toml must satisfy beyond its types: enumerations, ranges, time zones, patterns
and references between sections. ``kassa config check`` and ``kassa run`` apply the same
rules, so what the check accepts the hub can start with.

Each rule raises one ``ConfigError`` naming the key path and the bad value, with a "did you
mean" hint where a close name exists.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from kassa.errors import ConfigError
from kassa.model.event import Severity

if TYPE_CHECKING:
    from kassa.config import Settings

LOCALES = ("ru", "en")
ROLES = ("standalone", "site", "central")
BACKENDS = ("memory", "nats")
STORES = ("sqlite", "postgresql", "postgres")


def hint(word: str, choices: Iterable[str], n: int = 1) -> str:
    close = [repr(c) for c in difflib.get_close_matches(word, list(choices), n=n)]
    if not close:
        return ""
    words = close[0] if len(close) == 1 else ", ".join(close[:-1]) + " or " + close[-1]
    return f" (did you mean {words}?)"


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check(settings: Settings, *, file: str, channels: Iterable[str] | None = None) -> None:
    """Every rule, in file order. ``channels``: the channel names installed plugins provide
    (None: not known here, e.g. tests with channels of their own; not checked)."""
    def bad(path: str, expected: str, value: Any = None, close: str = "") -> ConfigError:
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        got = f", got {shown}" if value is not None else ""
        return ConfigError(f"{expected}{got}{close}", path=path, file=file)

    def one_of(path: str, value: str, choices: Iterable[str]) -> None:
        choices = list(choices)
        if value not in choices:
            raise bad(path, "expected one of " + ", ".join(f'"{c}"' for c in choices), value,
                      hint(value, choices))

    def at_least(path: str, value: float, low: float, what: str = "") -> None:
        if value < low:
            raise bad(path, f"expected {what or 'a number'} >= {low:g}", value)

    def pattern(path: str, value: str) -> None:
        try:
            re.compile(value)
        except re.error as exc:
            raise bad(path, f"not a valid regular expression ({exc})", value) from None

    one_of("hub.locale", settings.hub.locale, LOCALES)
    one_of("hub.role", settings.hub.role, ROLES)
    scheme = settings.store_url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in STORES:
        raise bad("store.url", 'expected a "sqlite:///..." or "postgresql://..." URL'
                  + hint(scheme, STORES))
    one_of("bus.backend", settings.bus.backend, BACKENDS)
    if not 0 <= settings.api.port <= 65535:
        raise bad("api.port", "expected a TCP port, 1..65535 (0: any free port)",
                  settings.api.port)
    if not settings.api.host:
        raise bad("api.host", "expected an address to listen on, e.g. \"127.0.0.1\"")
    o = settings.outbox
    at_least("outbox.max_attempts", o.max_attempts, 1, "an integer")
    at_least("outbox.base_delay", o.base_delay, 0.001)
    if o.max_delay < o.base_delay:
        raise bad("outbox.max_delay", f"expected a number >= outbox.base_delay ({o.base_delay:g})",
                  o.max_delay)
    at_least("outbox.digest_after", o.digest_after, 1, "an integer")
    at_least("outbox.report_settle", o.report_settle, 0)
    at_least("relay.batch", settings.relay.batch, 1, "an integer")
    at_least("relay.retry_max", settings.relay.retry_max, 0.001)
    codes = [s.code for s in settings.sites]
    for i, site in enumerate(settings.sites):
        if not site.code.strip():
            raise bad(f"sites[{i}].code", "expected a non-empty site code")
        if site.timezone not in time_zones():
            raise bad(f"sites[{i}].timezone", 'unknown time zone (an IANA name such as '
                      '"Europe/Moscow")', site.timezone, hint(site.timezone, time_zones(), 3))
    severities = [s.value for s in Severity]
    known_channels = sorted(set(channels)) if channels is not None else None
    for i, chat in enumerate(settings.chats):
        path = f"chats[{i}]"
        if known_channels is not None and chat.channel not in known_channels:
            provided = (", ".join(f'"{c}"' for c in known_channels) if known_channels
                        else "none: install kassa-telegram or kassa-max")
            raise bad(f"{path}.channel", f"no installed plugin provides this channel "
                      f"(provided: {provided})", chat.channel, hint(chat.channel, known_channels))
        if chat.locale:
            one_of(f"{path}.locale", chat.locale, LOCALES)
        one_of(f"{path}.min_severity", chat.min_severity, severities)
        if chat.min_amount is not None:
            at_least(f"{path}.min_amount", float(chat.min_amount), 0)
        if chat.text:
            pattern(f"{path}.text", chat.text)
        for j, rx in enumerate(chat.service_print):
            pattern(f"{path}.service_print[{j}]", rx)
        for code in chat.threads:
            if code not in codes:
                raise bad(f"{path}.threads.{code}", f"no site with code {code!r} in [[sites]]",
                          None, hint(code, codes))
