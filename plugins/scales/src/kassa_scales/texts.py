"""What people read from this plugin (Russian first, English on request)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "scales.unreachable": "Весы «{name}» ({where}) не отвечают: {reason}.",
        "scales.garbage": "Весы «{name}» ({where}) прислали непонятный ответ ({reason}):"
                          " проверьте протокол и скорость порта в настройках весов.",
        "scales.refused": "Весы «{name}» отказали: {reason}.",
        "scales.bad_plu": "PLU {plu} не загружен в весы: {reason}.",
        "scales.upload_failed": "Товары не загружены в весы «{name}»: {reason}.",
        "scales.rejected": "Весам «{name}» не подходят товаров: {n} (первый — код {code}:"
                           " {reason}).",
    },
    "en": {
        "scales.unreachable": "Scale '{name}' ({where}) does not answer: {reason}.",
        "scales.garbage": "Scale '{name}' ({where}) sent an answer that does not parse"
                          " ({reason}): check the protocol and baud rate set on the scale.",
        "scales.refused": "Scale '{name}' refused: {reason}.",
        "scales.bad_plu": "PLU {plu} was not uploaded to the scale: {reason}.",
        "scales.upload_failed": "The items were not uploaded to scale '{name}': {reason}.",
        "scales.rejected": "Items scale '{name}' cannot hold: {n} (the first, code {code}:"
                           " {reason}).",
    },
}


def say(key: str, locale: str = "ru", **kw: Any) -> str:
    """One sentence in ``locale`` (Russian when the locale is unknown)."""
    return TEXTS.get(locale, TEXTS["ru"])[key].format(**kw)
