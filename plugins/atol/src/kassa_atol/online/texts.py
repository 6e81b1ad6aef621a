"""What people read when ATOL Online refuses (one sentence each, ru by default)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "refused": "ATOL Online отклонил документ: {text}.",
        "field": "ATOL Online отклонил документ: неверное поле {field} ({text}).",
        "failed": "ATOL Online не смог оформить документ: {text}.",
        "login": "ATOL Online не принял логин или пароль {name}: проверьте [[atol.online]].",
        "group": "ATOL Online не знает группу ККТ «{group}»: проверьте group_code.",
        "unavailable": "ATOL Online недоступен ({why}); документ будет отправлен позже.",
        "no_call": "Облачная касса ATOL Online не умеет {what}: {why}.",
        "refund_correction": "ATOL Online v5 не принимает коррекцию возврата "
                             "(не подтверждено документацией): оформите её на другой кассе.",
        "no_items": "Чек коррекции для ATOL Online v5 (ФФД 1.2) должен содержать позиции.",
        "zero": "ATOL Online не оформляет чек на 0,00: в нём нет оплаты.",
        "sno": "Система налогообложения чека ({got}) не совпадает с sno группы ККТ ({sno}).",
    },
    "en": {
        "refused": "ATOL Online refused the document: {text}.",
        "field": "ATOL Online refused the document: field {field} is wrong ({text}).",
        "failed": "ATOL Online could not make the document: {text}.",
        "login": "ATOL Online rejected the login or password of {name}: check [[atol.online]].",
        "group": "ATOL Online does not know the KKT group '{group}': check group_code.",
        "unavailable": "ATOL Online is unavailable ({why}); the document will be sent later.",
        "no_call": "The ATOL Online cloud register cannot {what}: {why}.",
        "refund_correction": "ATOL Online v5 is not known to accept refund corrections: "
                             "make it on another register.",
        "no_items": "An ATOL Online v5 (FFD 1.2) correction receipt needs its items.",
        "zero": "ATOL Online does not make a receipt of 0.00: it has no payment.",
        "sno": "The receipt's tax system ({got}) is not the KKT group's sno ({sno}).",
    },
}

# what a cloud register cannot do, and why (fiscal.md §2.4 lists every v5 operation)
NO_CALL = {
    "ru": {
        "open_shift": ("открыть смену", "облачная касса открывает и закрывает смены сама"),
        "close_shift": ("закрыть смену", "облачная касса открывает и закрывает смены сама"),
        "x_report": ("печатать X-отчёт", "у облачной кассы нет бумаги и такой операции в API v5"),
        "print_text": ("печатать текст", "у облачной кассы нет принтера"),
        "cash_in": ("внесение", "у облачной кассы нет денежного ящика"),
        "cash_out": ("выплату", "у облачной кассы нет денежного ящика"),
        "check_marking": ("проверить код маркировки заранее",
                          "в API v5 нет такой операции, код проверяется при оформлении чека"),
    },
    "en": {
        "open_shift": ("open a shift", "the cloud register opens and closes shifts itself"),
        "close_shift": ("close a shift", "the cloud register opens and closes shifts itself"),
        "x_report": ("print an X report", "it has no paper and API v5 has no such call"),
        "print_text": ("print text", "a cloud register has no printer"),
        "cash_in": ("take cash in", "a cloud register has no cash drawer"),
        "cash_out": ("pay cash out", "a cloud register has no cash drawer"),
        "check_marking": ("check a marking code beforehand",
                          "API v5 has no such call; the code is checked with the receipt"),
    },
}


def say(key: str, locale: str = "ru", **params: Any) -> str:
    table = TEXTS.get(locale, TEXTS["ru"])
    return table.get(key, TEXTS["ru"][key]).format(**params)


def no_call(call: str, locale: str = "ru") -> str:
    what, why = NO_CALL.get(locale, NO_CALL["ru"])[call]
    return say("no_call", locale, what=what, why=why)
