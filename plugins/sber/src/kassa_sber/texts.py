"""What people read when a Sber terminal refuses (``register_texts``; ru by default). The
per-code descriptions are in codes.py, in both languages, beside their kinds."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "sber.refused": "Терминал {terminal}: {text} (код UPOS {code}).",
        "sber.auto_cancelled": "Терминал {terminal}: подвешенная оплата отменена банком"
                               " при сеансе связи.",
    },
    "en": {
        "sber.refused": "Terminal {terminal}: {text} (UPOS {code}).",
        "sber.auto_cancelled": "Terminal {terminal}: the suspended payment was cancelled by"
                               " the bank at its next session.",
    },
}


def say(key: str, locale: str = "ru", **params: Any) -> str:
    """``key`` in ``locale`` from this plugin's own catalogue (works without a hub)."""
    table = TEXTS.get(locale, TEXTS["ru"])
    return (table.get(key) or TEXTS["ru"][key]).format(**params)
