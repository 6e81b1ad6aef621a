"""The Lime plugin's event kinds: alerts for the site's managers."""

from __future__ import annotations

from enum import StrEnum

from kassa.model import EventKindSpec, Severity


class Kind(StrEnum):
    UNREACHABLE = "lime_unreachable"  # the till could not pay from Lime
    BACK = "lime_back"  # Lime answers again
    CHECK_DELAYED = "lime_check_delayed"  # paid at the till, not yet put to Lime
    CHECK_DELIVERED = "lime_check_delivered"  # a delayed check reached Lime
    CHECK_REFUSED = "lime_check_refused"  # Lime refused a check the till already took


def _kind(name: Kind, severity: Severity, ru: str, en: str, **flags: bool) -> EventKindSpec:
    return EventKindSpec(name, severity=severity, title={"ru": ru, "en": en}, group="lime",
                         **flags)


KINDS: tuple[EventKindSpec, ...] = (
    _kind(Kind.UNREACHABLE, Severity.WARNING, "Lime недоступен", "Lime unreachable",
          offline=True),
    _kind(Kind.BACK, Severity.NOTICE, "Lime снова доступен", "Lime is back", online=True),
    _kind(Kind.CHECK_DELAYED, Severity.WARNING, "Чек не передан в Lime, будет передан позже",
          "Check not put to Lime yet, will be retried"),
    _kind(Kind.CHECK_DELIVERED, Severity.INFO, "Отложенный чек передан в Lime",
          "Delayed check put to Lime"),
    _kind(Kind.CHECK_REFUSED, Severity.DANGER, "Lime отклонил оплаченный чек",
          "Lime refused a paid check"),
)
