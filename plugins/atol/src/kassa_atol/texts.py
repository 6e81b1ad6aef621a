"""What people read when an ATOL register refuses (``register_texts``; ru by default)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "atol.refused": "ККТ {register} отказала: {description} (ошибка драйвера {code}).",
        "atol.broken": "ККТ {register} не может оформлять фискальные документы: "
                       "{description} (ошибка драйвера {code}), нужен сервисный инженер.",
        "atol.unavailable": "ККТ {register} сейчас не может оформить документ: {why}; "
                            "он будет отправлен ещё раз.",
        "atol.login": "Web Server ККТ {register} не принял логин или пароль: "
                      "проверьте [[atol.registers]].",
        "atol.bad_request": "Web Server ККТ {register} отклонил запрос ({status}): {text}.",
        "atol.marking_timeout": "ОИСМ не ответила о коде маркировки вовремя.",
        "atol.marking_declined": "Код маркировки не прошёл проверку ({status}).",
    },
    "en": {
        "atol.refused": "Register {register} refused: {description} (driver error {code}).",
        "atol.broken": "Register {register} cannot make fiscal documents: {description} "
                       "(driver error {code}); it needs a service engineer.",
        "atol.unavailable": "Register {register} cannot make the document now: {why}; "
                            "it will be sent again.",
        "atol.login": "The Web Server of register {register} rejected the login or password: "
                      "check [[atol.registers]].",
        "atol.bad_request": "The Web Server of register {register} rejected the request "
                            "({status}): {text}.",
        "atol.marking_timeout": "The marking system did not answer about the code in time.",
        "atol.marking_declined": "The marking code did not pass the check ({status}).",
    },
}


def say(key: str, locale: str = "ru", **params: Any) -> str:
    """``key`` in ``locale`` from this plugin's own catalogue (works without a hub)."""
    table = TEXTS.get(locale, TEXTS["ru"])
    return (table.get(key) or TEXTS["ru"][key]).format(**params)
