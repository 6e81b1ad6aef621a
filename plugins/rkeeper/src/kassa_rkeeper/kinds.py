"""r_keeper's event kinds: names, default severity, ru/en titles and flags.

Declared to the core with ``register_event_kinds``; the core hard-codes none of them.
Risky cash operations stand out (danger), routine ones stay quiet (info).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kassa.model import EventKindSpec, Severity


class Kind(StrEnum):
    """r_keeper's event kinds (stable names: stored with every event, named in kassa.toml)."""

    PRECHECK_CANCELLED = "precheck_cancelled"
    CHECK_ANNULLED = "check_annulled"
    CHECK_DELETED = "check_deleted"
    DISH_MOVED_IN = "dish_moved_in"
    DISH_MOVED_OUT = "dish_moved_out"
    UNSAVED_DISH_DELETED = "unsaved_dish_deleted"
    SAVED_DISH_DELETED = "saved_dish_deleted"
    STATION_STARTED = "station_started"
    STATION_STOPPED = "station_stopped"
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
    UNKNOWN = "rkeeper_unknown"  # a notify Situation code nobody mapped
    HUB_GAP = "hub_gap"  # the hub was down: what could not be read back
    STATION_EVENTS_LOST = "station_events_lost"  # a station's event numbers jumped
    PUSH_LISTENER_DOWN = "push_listener_down"  # the notify port cannot be bound (polling only)


# what a healthy day never produces: faults of the link, the hub or the mapping
FAULTS = frozenset({Kind.UNKNOWN, Kind.HUB_GAP, Kind.STATION_EVENTS_LOST,
                    Kind.PUSH_LISTENER_DOWN})


def _kind(name: Kind, severity: Severity, ru: str, en: str, **flags: Any) -> EventKindSpec:
    return EventKindSpec(name, severity=severity, title={"ru": ru, "en": en}, group="rkeeper",
                         **flags)


D, W, N, I = Severity.DANGER, Severity.WARNING, Severity.NOTICE, Severity.INFO  # noqa: E741

KINDS: tuple[EventKindSpec, ...] = (
    _kind(Kind.PRECHECK_CANCELLED, D, "Отмена пречека", "Pre-check cancelled"),
    _kind(Kind.CHECK_ANNULLED, D, "Аннулирование чека", "Check annulled"),
    _kind(Kind.CHECK_DELETED, D, "Удаление чека", "Check deleted"),
    _kind(Kind.DISH_MOVED_IN, W, "Перенос блюд в заказ", "Dishes moved into order"),
    _kind(Kind.DISH_MOVED_OUT, W, "Перенос блюд из заказа", "Dishes moved out of order"),
    _kind(Kind.UNSAVED_DISH_DELETED, W, "Удаление несохранённого блюда", "Unsaved dish deleted"),
    _kind(Kind.SAVED_DISH_DELETED, D, "Удаление сохранённого блюда", "Saved dish deleted"),
    _kind(Kind.STATION_STARTED, I, "Станция запущена", "Station started"),
    _kind(Kind.STATION_STOPPED, W, "Станция остановлена", "Station stopped"),
    _kind(Kind.CHECK_CLOSED, I, "Чек закрыт", "Check closed", sale=True),
    _kind(Kind.ORDER_SAVED, I, "Заказ сохранён", "Order saved"),
    _kind(Kind.ORDER_QUIT_UNSAVED, W, "Выход из заказа без сохранения",
          "Order left without saving"),
    _kind(Kind.PRECHECK_PRINTED, I, "Печать пречека", "Pre-check printed"),
    _kind(Kind.SHIFT_CLOSED, N, "Смена закрыта", "Shift closed", closes_shift=True),
    _kind(Kind.EMPLOYEE_LOGIN, I, "Вход сотрудника", "Employee logged in"),
    _kind(Kind.EMPLOYEE_LOGOUT, I, "Выход сотрудника", "Employee logged out"),
    _kind(Kind.DISCOUNT_REMOVED, W, "Скидка удалена", "Discount removed"),
    _kind(Kind.DISCOUNT_ADDED, W, "Скидка добавлена", "Discount added"),
    _kind(Kind.LOYALTY_DISCOUNT_ADDED, N, "Скидка по карте лояльности", "Loyalty discount added"),
    _kind(Kind.LOYALTY_DISCOUNT_REMOVED, W, "Удалена скидка по карте лояльности",
          "Loyalty discount removed"),
    _kind(Kind.INTENT_RECEIPT_PRINTED, N, "Печать счёта-намерения", "Intent receipt printed"),
    _kind(Kind.INTENT_RECEIPT_CORRECTED, D, "Коррекция счёта-намерения",
          "Intent receipt corrected"),
    _kind(Kind.QUANTITY_CHANGED, W, "Изменение количества", "Quantity changed"),
    _kind(Kind.SERVICE_PRINT, I, "Сервисная печать", "Service print", printout=True),
    _kind(Kind.UNKNOWN, I, "Неизвестное событие r_keeper", "Unknown r_keeper event"),
    _kind(Kind.HUB_GAP, W, "Хаб не работал: события за перерыв могли не дойти",
          "The hub was down: events of the gap may be missing"),
    _kind(Kind.STATION_EVENTS_LOST, W, "Потеряны события станции", "Station events lost"),
    _kind(Kind.PUSH_LISTENER_DOWN, W, "Хаб не принимает события станций (порт занят)",
          "The hub cannot receive station events (port unavailable)"),
)
