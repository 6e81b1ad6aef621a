"""The Events screen filter, applied to live events exactly as the hub applies it to the log
(site and kind exact, employee and text as case-insensitive substrings)."""

from __future__ import annotations

from attrs import frozen
from kassa.model import Event


@frozen
class EventFilter:
    site: str | None = None
    kind: str | None = None
    employee: str | None = None
    text: str | None = None

    def matches(self, event: Event) -> bool:
        if self.site and event.site != self.site:
            return False
        if self.kind and event.kind != self.kind:
            return False
        if self.employee and self.employee.casefold() not in (event.employee or "").casefold():
            return False
        return not self.text or self.text.casefold() in _haystack(event)

    def query(self) -> dict[str, str | None]:
        """The same filter as admin API parameters."""
        return {"site": self.site, "kind": self.kind, "employee": self.employee, "q": self.text}


def _haystack(event: Event) -> str:
    parts = [event.kind, event.text, event.reason, event.order, event.table, event.employee,
             event.manager, event.station, *(line.name for line in event.lines)]
    return " ".join(p for p in parts if p).casefold()
