"""What people read from the delivery plugin (ru by default, en selectable)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "delivery.err.unauthorized": "Нет ключа X-Api-Key или он неизвестен.",
        "delivery.err.forbidden": "У ключа нет права «{right}».",
        "delivery.err.driver_mismatch": "Ключ водителя {own} не может проводить оплаты "
                                        "водителя {driver}.",
        "delivery.err.idempotency_key_missing": "Нужен заголовок Idempotency-Key "
                                                "(1–200 символов).",
        "delivery.err.idempotency_key_reused": "Этот Idempotency-Key уже использован с другим "
                                               "телом запроса.",
        "delivery.err.payment_already_taken": "Оплата {payment} заказа {order} уже принята "
                                              "с другими данными (задание {job}).",
        "delivery.err.invalid_request": "Запрос не прошёл проверку: {detail}.",
        "delivery.err.unknown_site": "Офис доставки {site} не настроен в [delivery] offices.",
        "delivery.err.unknown_driver": "Водитель {driver} не настроен в [delivery] drivers.",
        "delivery.err.amount_mismatch": "Сумма оплаты {amount} не равна сумме позиций {lines}.",
        "delivery.err.invalid_email": "E-mail клиента «{value}» не похож на адрес: {why}.",
        "delivery.err.receipt_invalid": "Чек не пройдёт проверку: {why}",
        "delivery.err.unknown_job": "Задания {job} нет.",
        "delivery.err.not_fiscalised": "Чек задания {job} ещё не пробит.",
        "delivery.err.unknown_order": "По заказу {order} оплат не принято.",
        "delivery.err.ofd_not_installed": "Плагин ОФД (kassa-ofd) не установлен в хабе.",
        "delivery.err.ofd_unavailable": "ОФД сейчас не отвечает ({why}); повторите позже.",
        "delivery.err.not_found": "Такого адреса в API доставки нет.",
        "delivery.err.method_not_allowed": "Этот метод здесь не поддерживается.",
        "delivery.err.bad_date": "Дата {value} не в формате ГГГГ-ММ-ДД.",
        "delivery.err.internal": "Внутренняя ошибка; запрос не выполнен.",
        "delivery.err.unknown_payment": "По заказу {order} нет оплаты {payment}.",
        "delivery.err.sale_failed": "Чек продажи по заказу {order} (задание {job}) не пробит "
                                    "окончательно ({why}): возвращать нечего, сначала "
                                    "разберитесь с продажей.",
        "delivery.err.sale_without_receipt": "Заказ {order} (задание {job}) проведён без чека "
                                             "(режим «без чека»): чек возврата не нужен.",
        "delivery.err.refund_already_taken": "Возврат {refund} оплаты {payment} заказа {order} "
                                             "уже принят с другими данными (задание {job}).",
        "delivery.err.refund_exceeds_paid": "Заказ {order}: вернуть больше оплаченного нельзя "
                                            "(строка {line}, осталось {left}).",
        "delivery.err.unknown_line": "В оплате нет строки {line} (строк: {lines}).",
        "delivery.warn.contact_ofd_field_invalid": "Контакт для чека ОФД «{value}» не e-mail и "
                                                   "не мобильный номер РФ.",
        "delivery.warn.contact_client_email_invalid": "E-mail клиента «{value}» неверен.",
        "delivery.warn.contact_no_mobile": "Среди телефонов адреса нет мобильного номера РФ "
                                           "({value}).",
        "delivery.warn.contact_missing": "Нет контакта покупателя: чек без тега 1008, копия "
                                         "не отправляется.",
        "delivery.copy.mode_none": "водитель работает без чека",
        "delivery.copy.mode_office_print": "режим водителя: чек печатается в офисе",
        "delivery.copy.no_contact": "нет верного контакта покупателя",
        "delivery.copy.no_smtp": "не настроен SMTP ([delivery.smtp] host)",
        "delivery.copy.no_sms": "не настроен отправитель SMS ([delivery] sms_sender)",
        "delivery.copy.ofd": "копию отправляет ОФД (тариф включает рассылку)",
        "delivery.copy.failed": "не удалось отправить: {why}",
        "delivery.copy.unknown": "копия могла не дойти: связь оборвалась после отправки, "
                                 "повторно не отправляем",
        "delivery.copy.resent": "связь оборвалась после отправки; отправлена повторно с тем же "
                                "Message-ID и пометкой о повторе",
        "delivery.copy.sale_failed": "чек продажи не пробит",
        "delivery.mail.refund_subject": "Чек возврата по заказу {order}",
        "delivery.mail.resent": "(повтор) ",
        "delivery.sms.refund_text": "Чек возврата по заказу {order}: {total} руб. ФН {fn} "
                                    "ФД {fd} ФП {fp}",
        "delivery.alert.copy_unknown": "Заказ {order}: копия чека ({to}) могла не дойти до "
                                       "покупателя: связь оборвалась после отправки.",
        "delivery.mail.subject": "Кассовый чек по заказу {order}",
        "delivery.sms.text": "Чек по заказу {order}: {total} руб. ФН {fn} ФД {fd} ФП {fp}",
        "delivery.alert.contact": "Заказ {order} (водитель {driver}): {text}",
        "delivery.alert.waiting": "Касса {register}: {count} чеков доставки ждут дольше "
                                  "{minutes} мин ({reason}).",
        "delivery.alert.failed": "Заказ {order}: чек не пробит: {reason}",
        "delivery.skip.mode_none": "водитель работает в режиме «без чека»",
        "delivery.cli.no_jobs": "Заданий нет.",
        "delivery.cli.unreachable": "Хаб недоступен по {url}: {why}",
    },
    "en": {
        "delivery.err.unauthorized": "The X-Api-Key is missing or unknown.",
        "delivery.err.forbidden": "The key lacks the {right!r} right.",
        "delivery.err.driver_mismatch": "Driver {own}'s key cannot take payments of driver "
                                        "{driver}.",
        "delivery.err.idempotency_key_missing": "The Idempotency-Key header is required "
                                                "(1-200 characters).",
        "delivery.err.idempotency_key_reused": "This Idempotency-Key was used with another "
                                               "body.",
        "delivery.err.payment_already_taken": "Payment {payment} of order {order} was already "
                                              "accepted with other data (job {job}).",
        "delivery.err.invalid_request": "The request is invalid: {detail}.",
        "delivery.err.unknown_site": "Delivery office {site} is not in [delivery] offices.",
        "delivery.err.unknown_driver": "Driver {driver} is not in [delivery] drivers.",
        "delivery.err.amount_mismatch": "The payment {amount} is not the lines' sum {lines}.",
        "delivery.err.invalid_email": "The client's e-mail {value!r} is not an address: {why}.",
        "delivery.err.receipt_invalid": "The receipt would be refused: {why}",
        "delivery.err.unknown_job": "There is no job {job}.",
        "delivery.err.not_fiscalised": "Job {job}'s receipt is not fiscalised yet.",
        "delivery.err.unknown_order": "No payment of order {order} was accepted.",
        "delivery.err.ofd_not_installed": "The OFD plugin (kassa-ofd) is not installed.",
        "delivery.err.ofd_unavailable": "The OFD does not answer ({why}); try again later.",
        "delivery.err.not_found": "No such path in the delivery API.",
        "delivery.err.method_not_allowed": "This method is not supported here.",
        "delivery.err.bad_date": "The date {value} is not YYYY-MM-DD.",
        "delivery.err.internal": "Internal error; the request was not applied.",
        "delivery.err.unknown_payment": "Order {order} has no payment {payment}.",
        "delivery.err.sale_failed": "The sale receipt of order {order} (job {job}) failed for "
                                    "good ({why}): there is nothing to refund; settle the sale "
                                    "first.",
        "delivery.err.sale_without_receipt": "Order {order} (job {job}) was taken without a "
                                             "receipt (mode 'none'): no refund receipt is due.",
        "delivery.err.refund_already_taken": "Refund {refund} of payment {payment} of order "
                                             "{order} was already accepted with other data "
                                             "(job {job}).",
        "delivery.err.refund_exceeds_paid": "Order {order}: cannot refund more than was paid "
                                            "(line {line}, {left} left).",
        "delivery.err.unknown_line": "The payment has no line {line} ({lines} lines).",
        "delivery.warn.contact_ofd_field_invalid": "The OFD receipt contact {value!r} is "
                                                   "neither an e-mail nor a Russian mobile.",
        "delivery.warn.contact_client_email_invalid": "The client's e-mail {value!r} is invalid.",
        "delivery.warn.contact_no_mobile": "No Russian mobile number among the address's "
                                           "phones ({value}).",
        "delivery.warn.contact_missing": "No buyer contact: the receipt has no tag 1008 and no "
                                         "copy is sent.",
        "delivery.copy.mode_none": "the driver works without receipts",
        "delivery.copy.mode_office_print": "driver mode: the receipt is printed at the office",
        "delivery.copy.no_contact": "no valid buyer contact",
        "delivery.copy.no_smtp": "SMTP is not configured ([delivery.smtp] host)",
        "delivery.copy.no_sms": "no SMS sender is configured ([delivery] sms_sender)",
        "delivery.copy.ofd": "the OFD sends the copy (the tariff includes delivery)",
        "delivery.copy.failed": "could not send: {why}",
        "delivery.copy.unknown": "the copy may not have been delivered: the link broke after "
                                 "sending; not sent again",
        "delivery.copy.resent": "the link broke after sending; sent again with the same "
                                "Message-ID, marked as a repeat",
        "delivery.copy.sale_failed": "the sale's receipt failed",
        "delivery.mail.refund_subject": "Refund receipt for order {order}",
        "delivery.mail.resent": "(repeat) ",
        "delivery.sms.refund_text": "Refund receipt for order {order}: RUB {total}. FN {fn} "
                                    "FD {fd} FP {fp}",
        "delivery.alert.copy_unknown": "Order {order}: the receipt copy ({to}) may not have "
                                       "reached the buyer: the link broke after sending.",
        "delivery.mail.subject": "Receipt for order {order}",
        "delivery.sms.text": "Receipt for order {order}: RUB {total}. FN {fn} FD {fd} FP {fp}",
        "delivery.alert.contact": "Order {order} (driver {driver}): {text}",
        "delivery.alert.waiting": "Register {register}: {count} delivery receipts waiting over "
                                  "{minutes} min ({reason}).",
        "delivery.alert.failed": "Order {order}: no receipt: {reason}",
        "delivery.skip.mode_none": "the driver's mode is 'no receipt'",
        "delivery.cli.no_jobs": "No jobs.",
        "delivery.cli.unreachable": "The hub is not reachable at {url}: {why}",
    },
}


def t(key: str, locale: str = "ru", **params: Any) -> str:
    text = TEXTS.get(locale, TEXTS["ru"]).get(key) or TEXTS["ru"].get(key) or key
    return text.format(**params) if params else text
