"""The OFD plugin's event kinds (declared with ``register_event_kinds``)."""

from __future__ import annotations

from kassa.model import EventKindSpec, Severity

RECEIPT_MISSING = "ofd_receipt_missing"  # in the journal, not at the OFD after N hours

KINDS: tuple[EventKindSpec, ...] = (
    EventKindSpec(RECEIPT_MISSING, severity=Severity.DANGER, group="fiscal",
                  title={"ru": "Чек не дошёл до ОФД", "en": "Receipt has not reached the OFD"}),
)
