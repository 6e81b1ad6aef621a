"""Shtrih-M answer error bytes (with the register's own Russian texts), modes and submodes.

Texts: 0x30 and up from pyshtrih ``excepts.py`` (``Error.codes``); 0x01-0x2F are the FN's own
codes passed through by FN firmware (the FN exchange protocol; unverified against the vendor
PDF, see docs/plugins/shtrih.md). 0x64 reads "ФН отсутствует" on FN models (our choice).
"""

from __future__ import annotations

from enum import IntEnum

ERRORS: dict[int, str] = {
    0x00: "Ошибок нет",
    0x01: "Неизвестная команда, неверный формат посылки или неизвестные параметры",
    0x02: "Неверное состояние ФН",
    0x03: "Ошибка ФН",
    0x04: "Ошибка КС",
    0x05: "Закончен срок эксплуатации ФН",
    0x06: "Архив ФН переполнен",
    0x07: "Неверные дата и/или время",
    0x08: "Нет запрошенных данных",
    0x09: "Некорректное значение параметров команды",
    0x10: "Превышение размеров TLV данных",
    0x11: "Нет транспортного соединения",
    0x12: "Исчерпан ресурс КС",
    0x14: "Исчерпан ресурс хранения",
    0x15: "Исчерпан ресурс ожидания передачи сообщения",
    0x16: "Продолжительность смены более 24 часов",
    0x17: "Неверная разница во времени между 2 операциями",
    0x20: "Сообщение от ОФД не может быть принято",
    0x33: "Некорректные параметры в команде",
    0x35: "Некорректный параметр при данных настройках",
    0x37: "Команда не поддерживается в данной реализации ФР",
    0x3C: "Смена открыта – операция невозможна",
    0x3D: "Смена не открыта – операция невозможна",
    0x45: "Сумма всех типов оплаты меньше итога чека",
    0x46: "Не хватает наличности в кассе",
    0x49: "Операция невозможна в открытом чеке данного типа",
    0x4A: "Открыт чек – операция невозможна",
    0x4B: "Буфер чека переполнен",
    0x4D: "Вносимая безналичной оплатой сумма больше суммы чека",
    0x4E: "Смена превысила 24 часа",
    0x4F: "Неверный пароль",
    0x50: "Идет печать предыдущей команды",
    0x55: "Чек закрыт – операция невозможна",
    0x58: "Ожидание команды продолжения печати",
    0x5E: "Некорректная операция",
    0x5F: "Отрицательный итог чека",
    0x61: "Переполнение диапазона цены",
    0x62: "Переполнение диапазона количества",
    0x63: "Переполнение диапазона отдела",
    0x64: "ФН отсутствует",
    0x6B: "Нет чековой ленты",
    0x72: "Команда не поддерживается в данном подрежиме",
    0x73: "Команда не поддерживается в данном режиме",
    0x7E: "Неверное значение в поле длины",
    0x8E: "Нулевой итог чека",
    0x8F: "Касса не фискализирована",
}


def error_text(code: int) -> str:
    return ERRORS.get(code, f"Неизвестная ошибка 0x{code:02X}")


# what the driver makes of each error (hookspecs/fiscal.py's table)
SHIFT_CLOSED = frozenset({0x3D})
SHIFT_EXPIRED = frozenset({0x16, 0x4E})
NOT_NOW = frozenset({0x50, 0x58, 0x6B, 0x72})  # paper, busy printing: nothing was done
BROKEN = frozenset({0x02, 0x03, 0x04, 0x05, 0x06, 0x12, 0x14, 0x15, 0x64, 0x8F, 0x4F})


class Mode(IntEnum):
    """0x10/0x11 "Режим ККТ", low nibble (rosix ``KKT_MODES``, fiscal.md §3.2)."""

    WORKING = 0
    SHIFT_OPEN = 2  # open, under 24 h
    SHIFT_EXPIRED = 3  # open, over 24 h: Z first
    SHIFT_CLOSED = 4
    DATE_CONFIRM = 6
    DOCUMENT = 8  # open document; the high nibble is its type (0 sale .. 3 buy return)


class Submode(IntEnum):
    """Paper states (fiscal.md §3.2)."""

    PAPER_OK = 0
    PAPER_OUT_PASSIVE = 1  # out of paper while idle
    PAPER_OUT_ACTIVE = 2  # ran out while printing a document
    AWAIT_CONTINUE = 3  # paper loaded, waiting for 0xB0


def split_mode(byte: int) -> tuple[int, int]:
    """(mode, status inside the mode): the 0x10 mode byte's low and high nibbles."""
    return byte & 0x0F, byte >> 4


class FnDocType(IntEnum):
    """FD types FF0A answers with: the FFD form codes (fiscal.md §1.1)."""

    SHIFT_OPEN = 2
    RECEIPT = 3
    CORRECTION = 31
    SHIFT_CLOSE = 5
