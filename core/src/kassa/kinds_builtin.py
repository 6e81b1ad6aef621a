"""Built-in plugin: the event kinds that are the core's own.

The site's link state (any source reports it), and what the core's services (``hub.fiscal``,
``hub.payments``, ``hub.devices``) emit about fiscal registers, payments and devices.
"""

from __future__ import annotations

from kassa import hookimpl
from kassa.model import EventKind, EventKindSpec, Severity

D, W, N, I = Severity.DANGER, Severity.WARNING, Severity.NOTICE, Severity.INFO  # noqa: E741


def _kind(name: str, severity: Severity, group: str, ru: str, en: str, **flags: bool
          ) -> EventKindSpec:
    return EventKindSpec(name, severity=severity, group=group, title={"ru": ru, "en": en},
                         **flags)


def _alert(cond: str, severity: Severity, ru: str, en: str, *, kind: str = "") -> EventKindSpec:
    """A monitor alert: its text (``kassa.fiscal_ops.texts``) is the kind's template, with
    the event's ``data`` in the chat's own language."""
    from kassa.fiscal_ops.texts import template

    return EventKindSpec(f"fiscal_{kind or cond}", severity=severity, group="fiscal",
                         title={"ru": ru, "en": en},
                         template={loc: template(f"al.{cond}", loc) for loc in ("ru", "en")})


KINDS = (
    # any source reports its site's link
    _kind(EventKind.SITE_OFFLINE, D, "site", "Нет связи с рестораном", "Restaurant offline",
          offline=True),
    _kind(EventKind.SITE_ONLINE, N, "site", "Связь с рестораном восстановлена",
          "Restaurant back online", online=True),
    # hub.fiscal (kassa.services.fiscal)
    _kind("fiscal_receipt", I, "fiscal", "Чек пробит на кассе", "Fiscal receipt printed"),
    _kind("fiscal_correction", W, "fiscal", "Чек коррекции", "Correction receipt"),
    _kind("cash_in", I, "fiscal", "Внесение в кассу", "Cash in"),
    _kind("cash_out", N, "fiscal", "Выплата из кассы", "Cash out"),
    _kind("fiscal_shift_opened", I, "fiscal", "Открыта смена кассы", "Register shift opened"),
    _kind("z_report", N, "fiscal", "Закрыта смена кассы (Z-отчёт)",
          "Register shift closed (Z report)", closes_shift=True),
    _kind("fiscal_failed", D, "fiscal", "Касса не выполнила операцию",
          "Fiscal operation failed"),
    _kind("fiscal_unknown", W, "fiscal", "Неизвестен исход операции на кассе",
          "Fiscal operation outcome unknown"),
    _kind("fiscal_unavailable", D, "fiscal", "Касса ждёт человека (бумага, крышка, связь)",
          "The register needs a person (paper, cover, link)"),
    # the register monitor (kassa.fiscal_ops.watch): once per episode, never every poll
    _alert("shift_long", W, "Смена кассы скоро превысит 24 часа",
           "Register shift nears 24 hours"),
    _alert("shift_expired", D, "Смена кассы открыта больше 24 часов",
           "Register shift open over 24 hours"),
    _alert("fn_expiring", W, "Срок ФН подходит к концу", "Fiscal drive (FN) expires soon"),
    _alert("fn_filling", W, "ФН почти заполнен", "Fiscal drive (FN) nearly full"),
    _alert("fn_full", D, "ФН заполнен или истёк", "Fiscal drive (FN) full or expired"),
    _alert("ofd_unsent", W, "Документы не переданы в ОФД", "Documents not sent to the OFD"),
    _alert("ofd_overdue", D, "Документы не передаются в ОФД много дней",
           "Documents unsent to the OFD for many days"),
    _alert("paper_out", D, "На кассе нет бумаги", "Register out of paper"),
    _alert("paper_loaded", N, "Бумага на кассе заправлена", "Register paper loaded"),
    _alert("offline", D, "Касса не отвечает", "Register unreachable", kind="register_offline"),
    _alert("online", N, "Касса снова на связи", "Register back online",
           kind="register_online"),
    # hub.payments (kassa.services.payments)
    _kind("payment_held", I, "payments", "Сумма заблокирована на счёте", "Payment held"),
    _kind("payment_captured", I, "payments", "Оплата проведена", "Payment captured"),
    _kind("payment_voided", N, "payments", "Блокировка снята", "Hold voided"),
    _kind("payment_cancelled", W, "payments", "Оплата отменена", "Payment cancelled"),
    _kind("payment_refunded", W, "payments", "Возврат оплаты", "Payment refunded"),
    _kind("payment_rolled_back", W, "payments", "Оплата откачена на терминале",
          "Payment rolled back on the terminal"),
    _kind("payment_declined", W, "payments", "Оплата отклонена", "Payment declined"),
    _kind("payment_failed", D, "payments", "Оплата не выполнена", "Payment failed"),
    _kind("payment_unknown", W, "payments", "Неизвестен исход оплаты",
          "Payment outcome unknown"),
    _kind("terminal_reconciled", I, "payments", "Сверка итогов на терминале",
          "Terminal reconciled"),
    # hub.devices and device supervision (kassa.services.devices, kassa.supervision)
    _kind("device_unavailable", D, "devices", "Устройство недоступно", "Device unavailable"),
    _kind("device_available", N, "devices", "Устройство снова доступно",
          "Device available again"),
    _kind("device_unknown", W, "devices", "Неизвестен исход операции на устройстве",
          "Device operation outcome unknown"),
)


@hookimpl
def register_event_kinds() -> tuple[EventKindSpec, ...]:
    return KINDS
