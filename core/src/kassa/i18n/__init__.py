"""What people read, in Russian by default and in English on request.

``t(key, locale, **kw)`` looks a key up in the locale's catalogue, falls back to Russian,
and finally to the key itself, so a missing text shows up plainly instead of crashing.
"""

from __future__ import annotations

from typing import Any

from kassa.i18n import en, ru

CATALOGUES: dict[str, dict[str, str]] = {"ru": ru.TEXTS, "en": en.TEXTS}
LOCALES = tuple(CATALOGUES)


def t(key: str, locale: str = "ru", **kw: Any) -> str:
    text = CATALOGUES.get(locale, ru.TEXTS).get(key) or ru.TEXTS.get(key) or key
    return text.format(**kw) if kw else text


def kind_title(kind: str, locale: str = "ru") -> str:
    """The human name of an event kind; unknown kinds show their snake_case name."""
    key = f"kind.{kind}"
    text = t(key, locale)
    return kind if text == key else text
