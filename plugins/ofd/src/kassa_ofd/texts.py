"""What people read from the OFD plugin (one sentence each, ru by default)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "ofd.auth": "ОФД.ру не принял логин или пароль: проверьте [ofd] login и password.",
        "ofd.denied": "ОФД.ру отказал в доступе к данным ИНН {inn}: проверьте [ofd] inn и права.",
        "ofd.unavailable": "ОФД.ру недоступен ({why}); повторим позже.",
        "ofd.refused": "ОФД.ру отклонил запрос: {text}.",
        "ofd.fns_unavailable": "Проверка чека ФНС недоступна ({why}); повторите позже.",
        "ofd.not_configured": "ОФД не настроен: заполните [ofd] login, password и inn.",
        "ofd.no_kkt": "В ОФД.ру нет кассы с ФН {fn}.",
        "ofd.no_receipt": "В ОФД.ру нет документа ФН {fn} № {fd}.",
        "ofd.missing": "Чек № {fd} (ФН {fn}, {when}) не дошёл до ОФД за {hours} ч.",
        "ofd.check_found": "Чек найден: ФНС подтверждает его.",
        "ofd.check_not_found": "Чек не найден: ФНС о нём не знает.",
        "ofd.check_wrong_sum": "Чек есть, но сумма другая: в ОФД {actual}, в QR-коде {given}.",
        "ofd.check_wrong_date": "Чек есть, но дата другая: в ОФД {actual}, в QR-коде {given}.",
    },
    "en": {
        "ofd.auth": "OFD.ru rejected the login or password: check [ofd] login and password.",
        "ofd.denied": "OFD.ru denied access to the data of INN {inn}: check [ofd] inn and rights.",
        "ofd.unavailable": "OFD.ru is unavailable ({why}); we will retry later.",
        "ofd.refused": "OFD.ru refused the request: {text}.",
        "ofd.fns_unavailable": "The FNS receipt check is unavailable ({why}); try again later.",
        "ofd.not_configured": "The OFD is not configured: fill in [ofd] login, password and inn.",
        "ofd.no_kkt": "OFD.ru has no register with FN {fn}.",
        "ofd.no_receipt": "OFD.ru has no document FN {fn} No. {fd}.",
        "ofd.missing": "Receipt No. {fd} (FN {fn}, {when}) has not reached the OFD in {hours} h.",
        "ofd.check_found": "Receipt found: the FNS confirms it.",
        "ofd.check_not_found": "Receipt not found: the FNS does not know it.",
        "ofd.check_wrong_sum": "The receipt exists with another sum: {actual} at the OFD, "
                               "{given} in the QR code.",
        "ofd.check_wrong_date": "The receipt exists with another date: {actual} at the OFD, "
                                "{given} in the QR code.",
    },
}


def say(key: str, locale: str = "ru", **kw: Any) -> str:
    texts = TEXTS.get(locale) or TEXTS["ru"]
    return texts[f"ofd.{key}"].format(**kw)
