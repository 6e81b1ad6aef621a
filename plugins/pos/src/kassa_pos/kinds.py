"""The till's event kinds: every cashier action the engine reports through the hub.

Declared to the core with ``register_event_kinds`` (group ``pos``). Names carry a ``pos_``
prefix: the core already declares ``cash_in``, ``cash_out`` and ``payment_declined`` for
what ``hub.fiscal`` / ``hub.payments`` do, and two plugins declaring one name fail start.
Risky operations are marked the way r_keeper's are, by severity: a chat with the default
``alerts = ["*"]`` and ``min_severity = "warning"`` hears every ``warning`` and ``danger``
kind (``RISKY``), and nothing routine.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kassa.model import EventKindSpec, Severity


class Kind(StrEnum):
    """The till's event kinds (stable names: stored with every event, named in kassa.toml)."""

    CHECK_OPENED = "pos_check_opened"
    LINE_ADDED = "pos_line_added"
    LINE_VOIDED = "pos_line_voided"
    QUANTITY_CHANGED = "pos_quantity_changed"
    PRICE_OVERRIDDEN = "pos_price_overridden"
    MANUAL_DISCOUNT = "pos_manual_discount"
    DISCOUNT_REMOVED = "pos_discount_removed"
    CHECK_VOIDED = "pos_check_voided"
    CHECK_DEFERRED = "pos_check_deferred"
    CHECK_RESUMED = "pos_check_resumed"
    CHECK_CLOSED = "pos_check_closed"
    RETURN = "pos_return"
    DRAWER_OPENED = "pos_drawer_opened"  # without a sale
    SHIFT_OPENED = "pos_shift_opened"
    SHIFT_CLOSED = "pos_shift_closed"
    CASH_IN = "pos_cash_in"
    CASH_OUT = "pos_cash_out"
    PAYMENT_DECLINED = "pos_payment_declined"
    CARD_ISSUED = "pos_card_issued"
    CARD_BLOCKED = "pos_card_blocked"
    ACTION_DENIED = "pos_action_denied"  # a right the cashier lacks was tried
    STOCK_DOCUMENT = "pos_stock_document"  # a goods receipt, transfer, write-off, count...
    RETURN_CONFLICT = "pos_return_conflict"  # the centre: a return beyond what was sold


def _kind(name: Kind, severity: Severity, ru: str, en: str, **flags: Any) -> EventKindSpec:
    return EventKindSpec(name, severity=severity, title={"ru": ru, "en": en}, group="pos",
                         **flags)


D, W, N, I = Severity.DANGER, Severity.WARNING, Severity.NOTICE, Severity.INFO  # noqa: E741

KINDS: tuple[EventKindSpec, ...] = (
    _kind(Kind.CHECK_OPENED, I, "Открыт чек", "Check opened"),
    _kind(Kind.LINE_ADDED, I, "Товар добавлен в чек", "Item added to the check"),
    # a line taken back after it was scanned: the classic till fraud, as r_keeper's
    # unsaved dish deletion
    _kind(Kind.LINE_VOIDED, W, "Сторно позиции", "Line voided"),
    # routine when it grows (scan once, type 3); audit raises it to warning when it shrinks
    _kind(Kind.QUANTITY_CHANGED, I, "Изменено количество", "Quantity changed"),
    _kind(Kind.PRICE_OVERRIDDEN, D, "Ручное изменение цены", "Price overridden"),
    _kind(Kind.MANUAL_DISCOUNT, W, "Ручная скидка", "Manual discount"),
    _kind(Kind.DISCOUNT_REMOVED, W, "Скидка снята", "Discount removed"),
    _kind(Kind.CHECK_VOIDED, D, "Чек аннулирован", "Check voided"),
    _kind(Kind.CHECK_DEFERRED, I, "Чек отложен", "Check deferred"),
    _kind(Kind.CHECK_RESUMED, I, "Отложенный чек возобновлён", "Deferred check resumed"),
    _kind(Kind.CHECK_CLOSED, I, "Чек оплачен", "Check paid", sale=True),
    _kind(Kind.RETURN, D, "Возврат товара", "Return"),
    _kind(Kind.DRAWER_OPENED, D, "Денежный ящик открыт без продажи",
          "Cash drawer opened without a sale"),
    _kind(Kind.SHIFT_OPENED, I, "Смена открыта", "Shift opened"),
    # the shop's own close: it fires the chats' auto-reports the way r_keeper's does
    _kind(Kind.SHIFT_CLOSED, N, "Смена закрыта", "Shift closed", closes_shift=True),
    _kind(Kind.CASH_IN, I, "Внесение наличных", "Cash in"),
    _kind(Kind.CASH_OUT, W, "Изъятие наличных", "Cash out"),
    _kind(Kind.PAYMENT_DECLINED, W, "Оплата на кассе отклонена", "Payment declined at the till"),
    _kind(Kind.CARD_ISSUED, I, "Выдана карта клиента", "Client card issued"),
    _kind(Kind.CARD_BLOCKED, W, "Карта клиента заблокирована", "Client card blocked"),
    _kind(Kind.ACTION_DENIED, W, "Кассиру отказано в операции", "Cashier action denied"),
    # routine; a write-off or a count that found goods missing is raised to warning
    _kind(Kind.STOCK_DOCUMENT, I, "Складской документ проведён", "Stock document posted"),
    # returns in any store: money went back for goods the chain's sales say are back already
    _kind(Kind.RETURN_CONFLICT, D, "Возврат сверх проданного (сеть)",
          "Return beyond what was sold (chain)"),
)

RISKY: frozenset[str] = frozenset(
    s.name for s in KINDS if s.severity.rank >= Severity.WARNING.rank)
"""What a chat with the default ``min_severity = "warning"`` hears without naming it."""
