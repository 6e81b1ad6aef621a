"""Built-in plugin: the event kinds that are the core's own.

The site's link state (any source reports it), and what the core's services (``hub.fiscal``,
``hub.payments``, ``hub.devices``) emit about fiscal registers, payments and devices.
"""

from __future__ import annotations

from kassa import hookimpl
from kassa.model import EventKind, EventKindSpec, Severity

KINDS = (
    EventKindSpec(EventKind.SITE_OFFLINE, severity=Severity.DANGER, group="site", offline=True,
                  title={"ru": "Нет связи с рестораном", "en": "Restaurant offline"}),
    EventKindSpec(EventKind.SITE_ONLINE, severity=Severity.NOTICE, group="site", online=True,
                  title={"ru": "Связь с рестораном восстановлена",
                         "en": "Restaurant back online"}),
    EventKindSpec("z_report", severity=Severity.NOTICE, group="fiscal", closes_shift=True,
                  title={"ru": "Закрыта смена кассы (Z-отчёт)",
                         "en": "Register shift closed (Z report)"}),
    EventKindSpec("fiscal_shift_opened", group="fiscal",
                  title={"ru": "Открыта смена кассы", "en": "Register shift opened"}),
    EventKindSpec("fiscal_failed", severity=Severity.DANGER, group="fiscal",
                  title={"ru": "Касса не выполнила операцию", "en": "Fiscal operation failed"}),
    EventKindSpec("fiscal_unknown", severity=Severity.WARNING, group="fiscal",
                  title={"ru": "Неизвестен исход операции на кассе",
                         "en": "Fiscal operation outcome unknown"}),
    EventKindSpec("payment_declined", severity=Severity.WARNING, group="payments",
                  title={"ru": "Оплата отклонена", "en": "Payment declined"}),
    EventKindSpec("payment_refunded", severity=Severity.WARNING, group="payments",
                  title={"ru": "Возврат оплаты", "en": "Payment refunded"}),
    EventKindSpec("payment_unknown", severity=Severity.WARNING, group="payments",
                  title={"ru": "Неизвестен исход оплаты", "en": "Payment outcome unknown"}),
    # what hub.fiscal / hub.payments / hub.devices did (kassa.services): info, for the log
    EventKindSpec("fiscal_receipt", group="fiscal",
                  title={"ru": "Чек пробит на кассе", "en": "Fiscal receipt printed"}),
    EventKindSpec("fiscal_correction", severity=Severity.NOTICE, group="fiscal",
                  title={"ru": "Чек коррекции", "en": "Correction receipt"}),
    EventKindSpec("cash_in", group="fiscal",
                  title={"ru": "Внесение наличных", "en": "Cash in"}),
    EventKindSpec("cash_out", severity=Severity.NOTICE, group="fiscal",
                  title={"ru": "Выплата наличных", "en": "Cash out"}),
    EventKindSpec("payment_failed", severity=Severity.WARNING, group="payments",
                  title={"ru": "Операция оплаты не выполнена", "en": "Payment operation failed"}),
    EventKindSpec("payment_held", group="payments",
                  title={"ru": "Сумма заблокирована на счёте", "en": "Amount held"}),
    EventKindSpec("payment_captured", group="payments",
                  title={"ru": "Оплата проведена", "en": "Payment captured"}),
    EventKindSpec("payment_voided", group="payments",
                  title={"ru": "Блокировка снята", "en": "Hold voided"}),
    EventKindSpec("payment_cancelled", severity=Severity.NOTICE, group="payments",
                  title={"ru": "Оплата картой отменена", "en": "Card payment cancelled"}),
    EventKindSpec("payment_rolled_back", severity=Severity.WARNING, group="payments",
                  title={"ru": "Оплата картой откачена (чек не пробит)",
                         "en": "Card payment rolled back (no receipt)"}),
    EventKindSpec("terminal_reconciled", group="payments",
                  title={"ru": "Сверка итогов на терминале", "en": "Terminal reconciled"}),
    EventKindSpec("device_unknown", severity=Severity.WARNING, group="devices",
                  title={"ru": "Неизвестно, выполнило ли устройство задание",
                         "en": "Device job outcome unknown"}),
    EventKindSpec("device_unavailable", severity=Severity.DANGER, group="devices",
                  title={"ru": "Устройство недоступно", "en": "Device unavailable"}),
    EventKindSpec("device_available", severity=Severity.NOTICE, group="devices",
                  title={"ru": "Устройство снова доступно", "en": "Device available again"}),
)


@hookimpl
def register_event_kinds() -> tuple[EventKindSpec, ...]:
    return KINDS
