"""The delivery plugin's event kinds: what the managers' chat is told."""

from __future__ import annotations

from kassa.model import EventKindSpec, Severity

CONTACT = "delivery_contact_missing"  # no valid 1008: a receipt without a copy
WAITING = "delivery_register_waiting"  # jobs queued longer than max_wait_minutes
FAILED = "delivery_receipt_failed"  # the register refused a job's receipt for good
COPY_UNKNOWN = "delivery_copy_unknown"  # a copy's send broke off: it may not have arrived

KINDS: tuple[EventKindSpec, ...] = (
    EventKindSpec(CONTACT, severity=Severity.WARNING, group="delivery",
                  title={"ru": "Доставка: нет контакта покупателя",
                         "en": "Delivery: no buyer contact"},
                  template={"ru": "{reason}", "en": "{reason}"}),
    EventKindSpec(WAITING, severity=Severity.DANGER, group="delivery",
                  title={"ru": "Доставка: чеки ждут кассу", "en": "Delivery: receipts wait"},
                  template={"ru": "{reason}", "en": "{reason}"}),
    EventKindSpec(FAILED, severity=Severity.DANGER, group="delivery",
                  title={"ru": "Доставка: чек не пробит", "en": "Delivery: receipt failed"},
                  template={"ru": "{reason}", "en": "{reason}"}),
    EventKindSpec(COPY_UNKNOWN, severity=Severity.WARNING, group="delivery",
                  title={"ru": "Доставка: копия чека могла не дойти",
                         "en": "Delivery: a receipt copy may be lost"},
                  template={"ru": "{reason}", "en": "{reason}"}),
)
