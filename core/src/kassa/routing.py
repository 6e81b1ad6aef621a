"""The router: which chats hear about which events, from [[chats]] rules and chat state."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

import attrs

from kassa import kinds as kind_rules
from kassa.config import ChatSettings
from kassa.model import ChatRef, Event, EventKinds, EventKindSpec, Severity
from kassa.model.event import current_kinds

SEVERITY_ORDER = {s.value: s.rank for s in Severity}


@attrs.define
class ChatRule:
    """The effective settings of one chat (config merged with what the chat changed)."""

    settings: ChatSettings
    pattern: re.Pattern[str] | None = None
    print_patterns: list[re.Pattern[str]] = attrs.field(factory=list)
    named: frozenset[str] = frozenset()  # kinds the chat lists (groups expanded)
    closing: tuple[str, ...] = ()  # closing kinds that fire its auto-reports

    @classmethod
    def of(cls, s: ChatSettings, kinds: EventKinds | None = None) -> ChatRule:
        kinds = kinds if kinds is not None else current_kinds()
        return cls(settings=s,
                   pattern=re.compile(s.text, re.I) if s.text else None,
                   print_patterns=[re.compile(p, re.I) for p in s.service_print],
                   named=frozenset(kind_rules.expand_alerts(s.alerts, kinds)),
                   closing=tuple(kind_rules.auto_report_kinds(s, kinds)))

    @property
    def ref(self) -> ChatRef:
        return ChatRef(self.settings.channel, self.settings.chat_id)

    def sees(self, site: str) -> bool:
        return self.settings.owners or self.settings.site == site

    def wants(self, event: Event, spec: EventKindSpec | None = None) -> bool:
        """``spec``: the event's declared kind (a printout reaches only chats naming it)."""
        s = self.settings
        if not self.sees(event.site):
            return False
        printout = spec is not None and spec.printout
        explicit = event.kind in self.named
        if not explicit:
            if "*" not in s.alerts or printout:
                return False
            if event.severity.rank < SEVERITY_ORDER.get(s.min_severity, 0):
                return False
        if printout and self.print_patterns:
            hay = " ".join(str(x) for x in (event.text, event.data.get("printer"),
                                            event.data.get("category"), event.table) if x)
            if not any(p.search(hay) for p in self.print_patterns):
                return False
        if s.min_amount is not None and event.amount is not None:
            if Decimal(event.amount) / 100 < s.min_amount:
                return False
        if s.employees and event.employee not in s.employees:
            return False
        if self.pattern is not None:
            hay = " ".join([event.text or "", event.reason or ""] + [ln.name for ln in event.lines])
            if not self.pattern.search(hay):
                return False
        return True


class Router:
    def __init__(self, chats: Iterable[ChatSettings], default_locale: str, *,
                 kinds: EventKinds | None = None) -> None:
        self.default_locale = default_locale
        self.kinds = kinds if kinds is not None else current_kinds()
        self.rules: dict[tuple[str, str], ChatRule] = {}
        for c in chats:
            self.put(c)

    def put(self, settings: ChatSettings) -> None:
        self.rules[(settings.channel, settings.chat_id)] = ChatRule.of(settings, self.kinds)

    def get(self, channel: str, chat_id: str) -> ChatRule | None:
        return self.rules.get((channel, chat_id))

    def rename(self, channel: str, old: str, new: str) -> None:
        """A chat got a new id (Telegram group -> supergroup)."""
        rule = self.rules.pop((channel, old), None)
        if rule is not None:
            self.put(attrs.evolve(rule.settings, chat_id=new))

    def locale(self, rule: ChatRule) -> str:
        return rule.settings.locale or self.default_locale

    def targets(self, event: Event) -> list[tuple[ChatRef, str]]:
        """(chat, locale) for every chat that wants the event, with forum topics applied."""
        out = []
        spec = self.kinds.get(event.kind)
        for rule in self.rules.values():
            if rule.wants(event, spec):
                thread = rule.settings.threads.get(event.site)
                ref = ChatRef(rule.settings.channel, rule.settings.chat_id, thread)
                out.append((ref, self.locale(rule)))
        return out

    def auto_reports(self, event: Event) -> list[tuple[ChatRule, str]]:
        """(chat, report name) pairs due for a closing event: chats whose auto-reports fire
        on its kind (``auto_reports_on``; by default a source's shift close, so a fiscal Z
        report and an r_keeper shift close do not both send them)."""
        return [(r, name) for r in self.rules.values()
                if event.kind in r.closing and r.sees(event.site)
                for name in r.settings.auto_reports]
