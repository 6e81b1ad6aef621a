"""kassa.toml -> attrs. Every error names the file, the key path and what was expected.

Plugins add sections through ``register_settings``: ``"x"`` is the table ``[x]``, ``"sites.x"``
a table inside each ``[[sites]]`` entry. Strings may reference the environment as ``${NAME}``
(an error when unset) or ``${NAME:-default}`` (``${NAME:-}``: empty when unset);
fields typed ``Secret`` keep their value out of logs and errors.
"""

from __future__ import annotations

import enum
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import attrs
from attrs import define, field

from kassa import config_rules
from kassa.errors import ConfigError
from kassa.secret import Secret, SecretURL

T = TypeVar("T", bound=attrs.AttrsInstance)
# ${NAME}, or the shell's ${NAME:-default} (the default when NAME is unset or empty)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@define
class HubSettings:
    name: str = "kassa"
    locale: str = "ru"  # ru | en: what people read
    data_dir: str = ""  # default: $KASSA_DATA_DIR or ~/.local/share/kassa
    role: str = "standalone"  # standalone | site | central


@define
class StoreSettings:
    # default: sqlite+aiosqlite:///<data_dir>/kassa.db; a PostgreSQL password never prints
    url: SecretURL = field(factory=lambda: SecretURL(""))


@define
class BusSettings:
    backend: str = "memory"  # memory | nats
    url: SecretURL = field(factory=lambda: SecretURL("nats://127.0.0.1:4222"))
    stream: str = "KASSA"
    subject: str = "kassa.events"


@define
class ApiSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8765
    token: Secret = field(factory=lambda: Secret(""))  # empty: generated into data_dir


@define
class OutboxSettings:
    max_attempts: int = 12
    base_delay: float = 1.0  # seconds; exponential backoff with full jitter
    max_delay: float = 300.0
    digest_after: int = 3  # pending alerts for one chat beyond its budget -> one digest
    report_settle: float = 10.0  # seconds a shift-close report waits for the last checks


@define
class RelaySettings:
    """Site node -> centre: forward the event log to the centre's JetStream when reachable."""

    url: SecretURL = field(factory=lambda: SecretURL(""))  # the centre's NATS; empty: none
    stream: str = "KASSA"
    subject: str = "kassa.events"
    batch: int = 256
    retry_max: float = 30.0  # seconds between reconnects at most (backoff doubles up to it)


def _tcp_ports(_inst: Any, attribute: Any, value: list[int]) -> None:
    bad = [p for p in value if not 1 <= p <= 65535]
    if bad:
        raise ValueError(f"{attribute.name}: {bad[0]} is not a TCP port (1-65535)")


@define
class DiscoverySettings:
    """Where ``kassa devices discover`` looks over TCP when no ``--host`` is given: hosts
    (names, addresses, networks such as 10.0.0.0/28) and the ports probed on each."""

    hosts: list[str] = field(factory=list)
    ports: list[int] = field(factory=list, validator=_tcp_ports)


@define
class SiteSettings:
    code: str
    name: str = ""
    timezone: str = "Europe/Moscow"
    # components by name (kassa.services picks them; a station's choice wins)
    fiscal: str = ""  # the site's fiscal register
    terminals: list[str] = field(factory=list)  # card terminals; the first is the default
    payments: list[str] = field(factory=list)  # account payments (bonus, deposit) allowed
    printers: list[str] = field(factory=list)  # the first is the default
    scales: list[str] = field(factory=list)  # the first is the default
    plugins: dict[str, Any] = field(factory=dict)  # "sites.x" sections, parsed


@define
class StationSettings:
    """A till at a site and the components it uses (empty: the site's)."""

    code: str
    site: str
    name: str = ""
    fiscal: str = ""
    terminal: str = ""
    printer: str = ""
    scale: str = ""


@define
class ChatSettings:
    """A chat the hub talks to: bound to one site, or the owners' chat (every site)."""

    channel: str
    chat_id: str
    site: str | None = None
    owners: bool = False
    name: str = ""
    locale: str = ""  # empty: hub.locale
    alerts: list[str] = field(factory=lambda: ["*"])  # event kinds; "*" = all; [] = none
    min_severity: str = "warning"  # with alerts = ["*"]: only risky events unless listed
    min_amount: Decimal | None = None  # rubles; events with a smaller amount are not sent
    employees: list[str] = field(factory=list)  # only these employees (empty: all)
    text: str = ""  # regex the event text/reason/dishes must match (empty: any)
    reports: list[str] = field(factory=list)  # offered by /report (empty: all)
    auto_reports: list[str] = field(factory=list)  # sent at shift close
    # closing kinds that send them (empty: a source's shift close, not the fiscal z_report)
    auto_reports_on: list[str] = field(factory=list)
    service_print: list[str] = field(factory=list)  # regexes; a ticket is sent if one matches
    users: list[str] = field(factory=list)  # allowed user ids (empty: anyone in the chat)
    admins: list[str] = field(factory=list)  # may change settings from the chat
    threads: dict[str, str] = field(factory=dict)  # site -> forum topic id (owners' chat)


@define
class Settings:
    hub: HubSettings = field(factory=HubSettings)
    store: StoreSettings = field(factory=StoreSettings)
    bus: BusSettings = field(factory=BusSettings)
    api: ApiSettings = field(factory=ApiSettings)
    outbox: OutboxSettings = field(factory=OutboxSettings)
    relay: RelaySettings = field(factory=RelaySettings)
    discovery: DiscoverySettings = field(factory=DiscoverySettings)
    sites: list[SiteSettings] = field(factory=list)
    stations: list[StationSettings] = field(factory=list)
    chats: list[ChatSettings] = field(factory=list)
    plugins: dict[str, Any] = field(factory=dict)  # top-level plugin sections, parsed
    file: str = "kassa.toml"

    def site(self, code: str) -> SiteSettings | None:
        return next((s for s in self.sites if s.code == code), None)

    def station(self, site: str, code: str) -> StationSettings | None:
        return next((s for s in self.stations if s.site == site and s.code == code), None)

    @property
    def data_path(self) -> Path:
        raw = self.hub.data_dir or os.environ.get("KASSA_DATA_DIR") or "~/.local/share/kassa"
        return Path(raw).expanduser()

    @property
    def store_url(self) -> str:
        return self.store.url.reveal() or f"sqlite+aiosqlite:///{self.data_path / 'kassa.db'}"


_CORE_SECTIONS = {"hub": HubSettings, "store": StoreSettings, "bus": BusSettings,
                  "api": ApiSettings, "outbox": OutboxSettings, "relay": RelaySettings,
                  "discovery": DiscoverySettings}


def load(path: str | Path, *, sections: Mapping[str, type] | None = None,
         env: Mapping[str, str] | None = None,
         channels: typing.Iterable[str] | None = None) -> Settings:
    """Read and validate a kassa.toml. ``sections`` come from ``register_settings``;
    ``channels`` are the channel names the installed plugins provide (checked when given)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found (create it, see docs/configuration.md, or pass --config)",
                          file=str(p)) from None
    except UnicodeDecodeError:
        raise ConfigError("the file is not UTF-8 text", file=str(p)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(p)) from None
    return parse(data, sections=sections, env=env, file=p.name, channels=channels)


def parse(data: Mapping[str, Any], *, sections: Mapping[str, type] | None = None,
          env: Mapping[str, str] | None = None, file: str = "kassa.toml",
          channels: typing.Iterable[str] | None = None) -> Settings:
    """Validate an already-parsed mapping (tests, demo fragments)."""
    sections = dict(sections or {})
    env = os.environ if env is None else env
    ctx = _Ctx(file=file, env=env)
    top = {k: v for k, v in sections.items() if not k.startswith("sites.")}
    per_site = {k[len("sites."):]: v for k, v in sections.items() if k.startswith("sites.")}
    known = set(_CORE_SECTIONS) | {"sites", "stations", "chats"} | set(top)
    settings = Settings(file=file)
    for key, value in data.items():
        if key not in known:
            ctx.unknown(key, "", known)
        if key in _CORE_SECTIONS:
            setattr(settings, key, ctx.structure(value, _CORE_SECTIONS[key], key))
        elif key in top:
            settings.plugins[key] = ctx.structure(value, top[key], key)
    for key, cls in top.items():
        if key not in settings.plugins and _all_default(cls):
            settings.plugins[key] = cls()
    raw_sites = data.get("sites", [])
    if not isinstance(raw_sites, list):
        raise ctx.error("sites", "expected an array of tables ([[sites]])", raw_sites)
    seen: set[str] = set()
    for i, raw in enumerate(raw_sites):
        path = f"sites[{i}]"
        if not isinstance(raw, Mapping):
            raise ctx.error(path, "expected a table", raw)
        own = {k: v for k, v in raw.items() if k not in per_site}
        site = ctx.structure(own, SiteSettings, path, exclude={"plugins"},
                             extra_known=set(per_site))
        if site.code in seen:
            raise ctx.error(f"{path}.code", "duplicate site code", site.code)
        seen.add(site.code)
        for name, cls in per_site.items():
            if name in raw:
                site.plugins[name] = ctx.structure(raw[name], cls, f"{path}.{name}")
        settings.sites.append(site)
    _parse_stations(ctx, data.get("stations", []), seen, settings)
    raw_chats = data.get("chats", [])
    if not isinstance(raw_chats, list):
        raise ctx.error("chats", "expected an array of tables ([[chats]])", raw_chats)
    for i, raw in enumerate(raw_chats):
        chat = ctx.structure(raw, ChatSettings, f"chats[{i}]")
        if chat.site is not None and chat.site not in seen:
            raise ctx.error(f"chats[{i}].site", f"no site with code {chat.site!r} in [[sites]]"
                            + _hint(chat.site, seen), chat.site)
        if chat.site is None and not chat.owners:
            raise ctx.error(f"chats[{i}]", "a chat needs either site = \"...\" or owners = true",
                            None)
        settings.chats.append(chat)
    config_rules.check(settings, file=file, channels=channels)
    return settings


def _parse_stations(ctx: _Ctx, raw_stations: Any, sites: AbstractSet[str],
                    settings: Settings) -> None:
    if not isinstance(raw_stations, list):
        raise ctx.error("stations", "expected an array of tables ([[stations]])", raw_stations)
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(raw_stations):
        st = ctx.structure(raw, StationSettings, f"stations[{i}]")
        if st.site not in sites:
            raise ctx.error(f"stations[{i}].site", f"no site with code {st.site!r} in [[sites]]"
                            + _hint(st.site, sites), st.site)
        if (st.site, st.code) in seen:
            raise ctx.error(f"stations[{i}].code", f"duplicate station code at site {st.site!r}",
                            st.code)
        seen.add((st.site, st.code))
        settings.stations.append(st)


def _all_default(cls: type) -> bool:
    return all(f.default is not attrs.NOTHING for f in attrs.fields(cls))


_hint = config_rules.hint


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


class _Ctx:
    def __init__(self, *, file: str, env: Mapping[str, str]) -> None:
        self.file = file
        self.env = env

    def error(self, path: str, expected: str, value: Any, *, show: bool = True) -> ConfigError:
        got = f", got {_show(value)}" if show and value is not None else ""
        return ConfigError(f"{expected}{got}", path=path, file=self.file)

    def unknown(self, key: str, prefix: str, known: typing.Iterable[str]) -> None:
        path = f"{prefix}.{key}" if prefix else key
        raise ConfigError("unknown key" + _hint(key, known), path=path, file=self.file)

    def expand(self, value: str, path: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if default is not None:  # as in sh: unset or empty takes the default
                return self.env.get(name) or default
            if name not in self.env:
                raise ConfigError(f"environment variable {name} is not set (write "
                                  f"${{{name}:-}} to allow it to be empty)", path=path,
                                  file=self.file)
            return self.env[name]
        return _ENV.sub(sub, value)

    def structure(self, value: Any, cls: type[T], path: str, *,
                  exclude: AbstractSet[str] = frozenset(),
                  extra_known: AbstractSet[str] = frozenset()) -> T:
        if not isinstance(value, Mapping):
            raise self.error(path, "expected a table", value)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in attrs.fields(cls) if f.name not in exclude}
        for key in value:
            if key not in fields and key not in extra_known:
                self.unknown(key, path, list(fields) + list(extra_known))
        kwargs = {}
        for name, f in fields.items():
            if name in value:
                kwargs[name] = self.value(value[name], hints[name], f"{path}.{name}")
            elif f.default is attrs.NOTHING:
                raise ConfigError("required key is missing", path=f"{path}.{name}",
                                  file=self.file)
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            # attrs' own validators (in_, ...) raise (message, attribute, ...): name the key
            # and say the message, not the tuple
            if len(exc.args) > 1 and isinstance(exc.args[0], str) and \
                    isinstance(exc.args[1], attrs.Attribute):
                raise self.error(f"{path}.{exc.args[1].name}", exc.args[0], None) from None
            raise self.error(path, str(exc), None) from None

    def value(self, value: Any, tp: Any, path: str) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            inner = [a for a in args if a is not type(None)]
            if len(inner) == 1:
                return self.value(value, inner[0], path)
            for a in inner:
                try:
                    return self.value(value, a, path)
                except ConfigError:
                    continue
            raise self.error(path, "expected one of " + ", ".join(_name(a) for a in inner), value)
        if tp is Any:
            return self.expand(value, path) if isinstance(value, str) else value
        if origin is list:
            if not isinstance(value, list):
                raise self.error(path, f"expected an array of {_name(args[0])}", value)
            return [self.value(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)]
        if origin is dict:
            if not isinstance(value, Mapping):
                raise self.error(path, "expected a table", value)
            return {str(k): self.value(v, args[1], f"{path}.{k}") for k, v in value.items()}
        if attrs.has(tp):
            return self.structure(value, tp, path)
        if isinstance(tp, type) and issubclass(tp, Secret):
            if not isinstance(value, str):
                raise self.error(path, "expected a string (a secret; use \"${ENV_NAME}\")", None)
            return tp(self.expand(value, path))
        if tp is bool:
            if not isinstance(value, bool):
                raise self.error(path, "expected true or false", value)
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, str) and re.fullmatch(r"-?\d+", self.expand(value, path)):
                    return int(self.expand(value, path))
                raise self.error(path, "expected an integer", value)
            return value
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.error(path, "expected a number", value)
            return float(value)
        if tp is Decimal:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise self.error(path, "expected a number", value)
            try:
                return Decimal(str(value))
            except InvalidOperation:
                raise self.error(path, "expected a number", value) from None
        if tp is str:
            if not isinstance(value, str):
                raise self.error(path, "expected a string", value)
            return self.expand(value, path)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            try:
                return tp(value)
            except ValueError:
                choices = [str(m.value) for m in tp]
                raise self.error(path, "expected one of " + ", ".join(choices)
                                 + _hint(str(value), choices), value) from None
        return value


def _name(tp: Any) -> str:
    names = {int: "integers", str: "strings", float: "numbers", bool: "booleans"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))
