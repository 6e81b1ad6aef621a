"""Events: every fact a source reports, persisted before anything acts on it."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from kassa.model.money import qty


class EventKind(StrEnum):
    """Stable snake_case names. Plugins may emit other kinds as plain strings."""

    PRECHECK_CANCELLED = "precheck_cancelled"
    CHECK_ANNULLED = "check_annulled"
    CHECK_DELETED = "check_deleted"
    DISH_MOVED_IN = "dish_moved_in"
    DISH_MOVED_OUT = "dish_moved_out"
    UNSAVED_DISH_DELETED = "unsaved_dish_deleted"
    SAVED_DISH_DELETED = "saved_dish_deleted"
    STATION_STARTED = "station_started"
    STATION_STOPPED = "station_stopped"
    SITE_OFFLINE = "site_offline"
    SITE_ONLINE = "site_online"
    CHECK_CLOSED = "check_closed"
    ORDER_SAVED = "order_saved"
    ORDER_QUIT_UNSAVED = "order_quit_unsaved"
    PRECHECK_PRINTED = "precheck_printed"
    SHIFT_CLOSED = "shift_closed"
    EMPLOYEE_LOGIN = "employee_login"
    EMPLOYEE_LOGOUT = "employee_logout"
    DISCOUNT_REMOVED = "discount_removed"
    DISCOUNT_ADDED = "discount_added"
    LOYALTY_DISCOUNT_ADDED = "loyalty_discount_added"
    LOYALTY_DISCOUNT_REMOVED = "loyalty_discount_removed"
    INTENT_RECEIPT_PRINTED = "intent_receipt_printed"
    INTENT_RECEIPT_CORRECTED = "intent_receipt_corrected"
    QUANTITY_CHANGED = "quantity_changed"
    SERVICE_PRINT = "service_print"


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

# Risky cash operations stand out; routine ones stay quiet. One table, used by every source.
DEFAULT_SEVERITY: dict[str, Severity] = {
    EventKind.PRECHECK_CANCELLED: Severity.DANGER,
    EventKind.CHECK_ANNULLED: Severity.DANGER,
    EventKind.CHECK_DELETED: Severity.DANGER,
    EventKind.SAVED_DISH_DELETED: Severity.DANGER,
    EventKind.INTENT_RECEIPT_CORRECTED: Severity.DANGER,
    EventKind.SITE_OFFLINE: Severity.DANGER,
    EventKind.DISCOUNT_REMOVED: Severity.WARNING,
    EventKind.DISCOUNT_ADDED: Severity.WARNING,
    EventKind.UNSAVED_DISH_DELETED: Severity.WARNING,
    EventKind.ORDER_QUIT_UNSAVED: Severity.WARNING,
    EventKind.DISH_MOVED_IN: Severity.WARNING,
    EventKind.DISH_MOVED_OUT: Severity.WARNING,
    EventKind.QUANTITY_CHANGED: Severity.WARNING,
    EventKind.LOYALTY_DISCOUNT_REMOVED: Severity.WARNING,
    EventKind.STATION_STOPPED: Severity.WARNING,
    EventKind.SITE_ONLINE: Severity.NOTICE,
    EventKind.SHIFT_CLOSED: Severity.NOTICE,
    EventKind.LOYALTY_DISCOUNT_ADDED: Severity.NOTICE,
    EventKind.INTENT_RECEIPT_PRINTED: Severity.NOTICE,
    EventKind.PRECHECK_PRINTED: Severity.INFO,
}


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
        """Build an event with the kind's default severity unless one is given."""
        kw.setdefault("severity", DEFAULT_SEVERITY.get(kind, Severity.INFO))
        return cls(site=site, kind=kind, source_key=source_key, occurred_at=occurred_at, **kw)
