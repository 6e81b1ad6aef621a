"""Events: every fact a source reports, persisted before anything acts on it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from kassa.model.money import qty


class EventKind(StrEnum):
    """The core's own kinds. Plugins declare theirs with ``register_event_kinds``
    (``EventKindSpec``); an event's ``kind`` is a plain string either way."""

    SITE_OFFLINE = "site_offline"
    SITE_ONLINE = "site_online"


class Severity(StrEnum):
    """How loudly to tell people. Ordered: ``Severity.rank``."""

    INFO = "info"
    NOTICE = "notice"
    WARNING = "warning"
    DANGER = "danger"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.NOTICE: 1, Severity.WARNING: 2, Severity.DANGER: 3}
_KIND_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
# What a template may name: the event's fields as the default formatter shows them.
TEMPLATE_FIELDS = ("site", "time", "station", "table", "order", "employee", "manager",
                   "reason", "amount", "text", "dishes", "data")


def _texts(value: Any) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


def _check_template(spec: EventKindSpec, attribute: Any, value: Mapping[str, str]) -> None:
    blank: dict[str, object] = dict.fromkeys(TEMPLATE_FIELDS, "")
    blank["data"] = _AnyData()
    for locale, text in value.items():
        try:
            text.format(**blank)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ValueError(f"event kind {spec.name!r}: template[{locale!r}] is not a valid "
                             f"template ({exc!r}); it may name {', '.join(TEMPLATE_FIELDS)}"
                             ) from None


class _AnyData(dict[str, str]):
    """``{data[x]}`` in a template is checked without knowing which data an event carries."""

    def __missing__(self, key: str) -> str:
        return ""


@frozen
class EventKindSpec:
    """One kind of event a plugin emits, declared with ``register_event_kinds``.

    ``name`` is stable snake_case (it is stored with every event and named in kassa.toml);
    ``title`` and ``template`` map a locale (``ru``, ``en``) to text. Flags:
    ``closes_shift`` (a shift close: it can fire the auto-reports and bounds the "shift"
    period), ``offline`` / ``online`` (the site's link went down / came back), ``printout``
    (a printed ticket: a chat gets it only by naming the kind, filtered by its
    ``service_print`` patterns), ``sale`` (a closed sale: its amount is revenue on the
    dashboard). ``group`` ("rkeeper", "fiscal") groups kinds in config and the console.
    """

    name: str = field(converter=str)  # a StrEnum member becomes its plain value
    title: Mapping[str, str] = field(converter=_texts, hash=False)
    severity: Severity = field(default=Severity.INFO, converter=Severity)
    template: Mapping[str, str] = field(factory=dict, converter=_texts, hash=False,
                                        validator=_check_template)
    group: str = ""
    closes_shift: bool = False
    offline: bool = False
    online: bool = False
    printout: bool = False
    sale: bool = False

    def __attrs_post_init__(self) -> None:
        if not _KIND_NAME.fullmatch(self.name):
            raise ValueError(f"event kind {self.name!r}: a name is snake_case "
                             "(lower-case letters, digits and single underscores)")
        if not (self.title.get("ru") and self.title.get("en")):
            raise ValueError(f"event kind {self.name!r}: give a title in both \"ru\" and "
                             "\"en\"")
        if self.offline and self.online:
            raise ValueError(f"event kind {self.name!r}: offline and online exclude each other")

    def title_in(self, locale: str) -> str:
        """The title in ``locale``, else Russian, else English."""
        return self.title.get(locale) or self.title.get("ru") or self.title.get("en") or self.name

    def template_in(self, locale: str) -> str | None:
        return self.template.get(locale) or self.template.get("ru") or None


class EventKinds:
    """The kinds a hub knows (every plugin's ``register_event_kinds``), by name.

    A kind nobody declared still works everywhere: severity info, its name as its title
    (old logs keep rendering after a plugin is removed).
    """

    def __init__(self, specs: Iterable[EventKindSpec] = (), *,
                 origin: Mapping[str, str] | None = None) -> None:
        self.specs: dict[str, EventKindSpec] = {}
        for spec in specs:
            self.specs.setdefault(spec.name, spec)
        self._origin = dict(origin or {})

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __iter__(self) -> Iterator[EventKindSpec]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def get(self, name: str) -> EventKindSpec | None:
        return self.specs.get(name)

    def severity(self, name: str) -> Severity:
        spec = self.specs.get(name)
        return spec.severity if spec is not None else Severity.INFO

    def title(self, name: str, locale: str = "ru") -> str:
        spec = self.specs.get(name)
        return spec.title_in(locale) if spec is not None else name

    def closing(self) -> list[str]:
        """Kinds that close a shift, in declaration order."""
        return [s.name for s in self.specs.values() if s.closes_shift]

    def sales(self) -> list[str]:
        """Kinds that are a closed sale (the dashboard's checks and revenue)."""
        return [s.name for s in self.specs.values() if s.sale]

    def groups(self) -> set[str]:
        return {s.group for s in self.specs.values() if s.group}

    def origin(self, name: str) -> str:
        """The plugin that declared the kind ("" if unknown)."""
        return self._origin.get(name, "")

    def overlay(self, other: EventKinds) -> EventKinds:
        """This registry with ``other``'s kinds added, replacing same-named ones in place."""
        specs = {**self.specs, **other.specs}
        return EventKinds(specs.values(), origin={**self._origin, **other._origin})


_current: EventKinds | None = None


def use_kinds(kinds: EventKinds | None) -> None:
    """Make ``kinds`` the registry ``Event.of`` reads (the hub does it when it is built);
    ``None``: the installed plugins' kinds again."""
    global _current
    _current = kinds


def current_kinds() -> EventKinds:
    """The registry ``Event.of`` reads: the last built hub's, else the installed plugins'."""
    global _current
    if _current is None:
        from kassa.kinds import installed  # runtime, lazily: the model itself does no I/O

        _current = installed()
    return _current


def _new_id() -> str:
    return uuid.uuid4().hex


def _lines(value: Any) -> tuple[Line, ...]:
    return tuple(value)


@frozen
class Line:
    """A dish or item an event is about."""

    name: str
    quantity: Decimal = field(converter=qty)
    amount: int = 0  # kopecks
    code: str | None = None
    price: int | None = None
    category: str | None = None


@frozen
class Event:
    """One fact from one source. Unique on (site, source_key).

    ``source_key`` must be stable across re-delivery (the r_keeper guid + version, an update
    id...): emitting the same fact twice is then a counted no-op.
    """

    site: str
    kind: str
    source_key: str
    occurred_at: datetime
    severity: Severity = Severity.INFO
    station: str | None = None
    employee: str | None = None
    manager: str | None = None  # who confirmed (r_keeper manager authorisation)
    table: str | None = None
    order: str | None = None  # order / check number as people see it
    lines: tuple[Line, ...] = field(default=(), converter=_lines)
    amount: int | None = None  # kopecks
    reason: str | None = None
    text: str | None = None  # free text: service print body, comments
    data: dict[str, Any] = field(factory=dict)
    id: str = field(factory=_new_id)

    @classmethod
    def of(cls, *, site: str, kind: str, source_key: str, occurred_at: datetime,
           **kw: Any) -> Event:
        """Build an event with the kind's declared severity (``current_kinds()``: the
        hub's registry) unless one is given; an undeclared kind gets info."""
        if "severity" not in kw:
            kw["severity"] = (_current or current_kinds()).severity(kind)
        return cls(site=site, kind=kind, source_key=source_key, occurred_at=occurred_at, **kw)
