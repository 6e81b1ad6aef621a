"""ATOL driver v10 (libfptr10) error codes and their texts, as the driver reports them in
``errorCode`` / ``errorDescription`` of a Web Server result, and what each means to Kassa.

Codes: the ``LIBFPTR_ERROR_*`` constants of the driver's Java binding (``IFptr``); texts: the
driver's own descriptions as a public C++ integration copies them (both found by a public code
search; see docs/plugins/atol.md). Only the codes this plugin meets are listed; any other code
maps by its range (below).
"""

from __future__ import annotations

from enum import IntEnum


class DriverError(IntEnum):
    OK = 0
    CONNECTION_DISABLED = 1
    NO_CONNECTION = 2
    PORT_BUSY = 3
    NO_REQUIRED_PARAM = 8
    NOT_SUPPORTED = 11
    INVALID_MODE = 12
    INVALID_PARAM = 13
    UNKNOWN = 15
    INVALID_SUM = 16
    INVALID_QUANTITY = 17
    NO_PAPER = 44
    COVER_OPENED = 45
    PRINTER_FAULT = 46
    NONCASH_PAYMENTS_TOO_MUCH = 52
    BUSY = 55
    NOT_FULLY_PAID = 66
    SHIFT_EXPIRED = 68
    DENIED_IN_CLOSED_SHIFT = 73
    NO_CASH = 80
    DENIED_IN_OPENED_SHIFT = 83
    NOT_REGISTERED = 89
    FN_EXPIRED = 120
    FN_OVERFLOW = 121
    FN_SHIFT_EXPIRED = 141
    INVALID_TAXATION_TYPE = 143
    INVALID_TAX_TYPE = 144
    NO_REQUIRED_FISCAL_PROPERTY = 161
    FN_NOT_FOUND = 166
    INVALID_1214 = 216
    INVALID_1212 = 217
    INVALID_TOTAL = 227
    CONNECTION_LOST = 241
    MARKING_VALIDATION_IN_PROGRESS = 401
    NO_CONNECTION_WITH_SERVER = 402
    INVALID_MARKING_CODE = 409
    INVALID_MEASUREMENT_UNIT = 412
    RECEIPT_PARSE_ERROR = 501
    INTERRUPTED_BY_PREVIOUS_ERRORS = 502


TEXTS: dict[int, str] = {
    0: "Ошибок нет",
    1: "Соединение не установлено",
    2: "Нет связи",
    3: "Порт занят",
    8: "Не найден обязательный параметр",
    11: "Не поддерживается в данной версии (драйвера или ККТ)",
    12: "Не поддерживается в данном режиме",
    13: "Нeкорректное значение параметра",  # sic: the driver's text has a Latin "e"
    15: "Неизвестная ошибка",
    16: "Неверная цена (сумма)",
    17: "Неверное количество",
    44: "Нет бумаги",
    45: "Открыта крышка",
    46: "Нет связи с принтером чеков",
    52: "Сумма не наличных платежей превышает сумму чека",
    55: "Предыдущая операция незавершена",
    66: "Чек оплачен не полностью",
    68: "Смена превысила 24 часа",
    73: "Смена закрыта - операция невозможна",
    80: "В ККТ нет денег для выплаты",
    83: "Смена открыта, операция невозможна",
    89: "ККТ не зарегистрирована",
    120: "Закончен срок эксплуатации ФН",
    121: "Архив ФН переполнен",
    141: "Продолжительность смены ФН более 24 часов",
    143: "Некорректная СНО",
    144: "Недопустимый номер ставки налога",
    161: "Не указаны обязательные реквизиты",
    166: "ФН не найден",
    216: "Некорректный признак способа расчета",
    217: "Некорректный признак предмета расчета",
    227: "Неверный итог чека",
    # 241 and up: only the constant names were found; these texts are ours (docs/plugins/atol.md)
    241: "Соединение с ККТ потеряно",
    401: "Проверка КМ уже выполняется",
    402: "Нет соединения с сервером ОИСМ",
    409: "Некорректный код маркировки",
    412: "Некорректная мера количества",
    501: "Ошибка разбора задания",
    502: "Прервано из-за предыдущих ошибок",
}

# what a person must fix in the receipt or in the till's state: UserError
USER = frozenset({8, 13, 16, 17, 52, 66, 68, 73, 80, 83, 141, 143, 144, 161, 216, 217, 227,
                  409, 412, 501})
# the document was not made and will be once a person or time fixes it: RetryLater
RETRY = frozenset({1, 2, 3, 44, 45, 46, 55, 241, 402})
# the register cannot make fiscal documents at all until serviced: Permanent
PERMANENT = frozenset({11, 89, 120, 121, 166})


def text(code: int) -> str:
    return TEXTS.get(code, TEXTS[15])
