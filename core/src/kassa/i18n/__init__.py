"""What people read, in Russian by default and in English on request.

``t(key, locale, **kw)`` looks a key up in the locale's catalogue, falls back to Russian,
and finally to the key itself, so a missing text shows up plainly instead of crashing.
The catalogue is the core's texts plus every plugin's ``register_texts`` (keys namespaced by
the plugin: ``bonus.help.balance``). A text given as plural forms
(``{"one": .., "few": .., "many": .., "other": ..}``) is picked by ``count`` with the
locale's CLDR plural rule (Babel): ``t("events.count", "ru", count=21)`` -> "21 событие".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from kassa.errors import UserError
from kassa.i18n import en, ru

Text = str | Mapping[str, str]
CORE: dict[str, dict[str, Text]] = {"ru": ru.TEXTS, "en": en.TEXTS}
LOCALES = tuple(CORE)
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")  # CLDR categories

_catalogues: dict[str, dict[str, Text]] | None = None


def build(texts: Iterable[tuple[str, Any]]) -> dict[str, dict[str, Text]]:
    """The core's catalogue with plugins' ``(plugin, {locale: {key: text}})`` added.

    A plugin's keys start with its name and a dot; a text is a string or plural forms.
    Anything else fails with one sentence naming the plugin and the key.
    """
    out: dict[str, dict[str, Text]] = {loc: dict(cat) for loc, cat in CORE.items()}
    for plugin, by_locale in texts:
        if not isinstance(by_locale, Mapping):
            raise UserError(f"plugin {plugin!r}: register_texts must return "
                            f"{{locale: {{key: text}}}}, not {type(by_locale).__name__}")
        for loc, cat in by_locale.items():
            if loc not in out:
                raise UserError(f"plugin {plugin!r}: register_texts: unknown locale {loc!r} "
                                f"(expected one of {', '.join(LOCALES)})")
            for key, text in dict(cat).items():
                _check(plugin, loc, key, text)
                out[loc][key] = text if isinstance(text, str) else dict(text)
    return out


def namespace(plugin: str) -> str:
    """The key prefix of a plugin's texts: its name (entry point "bonus" or module
    "kassa_bonus" alike: ``bonus``)."""
    return plugin.removeprefix("kassa_")


def _check(plugin: str, loc: str, key: Any, text: Any) -> None:
    where = f"plugin {plugin!r}: register_texts[{loc!r}][{key!r}]"
    # built-ins (kassa.*) may add core-level keys; a plugin's keys are its own
    if not isinstance(key, str) or not (plugin.startswith("kassa.")
                                        or key.startswith(f"{namespace(plugin)}.")):
        raise UserError(f"{where}: a key starts with the plugin's name "
                        f"({namespace(plugin)!r} and a dot)")
    if isinstance(text, str):
        return
    if not isinstance(text, Mapping) or not text or \
            any(f not in PLURAL_FORMS or not isinstance(v, str) for f, v in text.items()):
        raise UserError(f"{where}: a text is a string or plural forms "
                        f"({', '.join(PLURAL_FORMS)}) mapped to strings")
    if "other" not in text:
        raise UserError(f"{where}: plural forms need \"other\" (the fallback)")


def use(catalogues: dict[str, dict[str, Text]] | None) -> None:
    """Make ``catalogues`` the ones ``t`` reads (the hub does it when it is built);
    ``None``: the installed plugins' texts again."""
    global _catalogues
    _catalogues = catalogues


def installed() -> dict[str, dict[str, Text]]:
    """The catalogue with the installed plugins' texts (entry points and built-ins)."""
    from kassa.plugins import get_plugins

    return build(get_plugins().texts())


def for_plugins(plugins: Any) -> dict[str, dict[str, Text]]:
    """A hub's catalogue: its own plugins' texts over the installed plugins' ones."""
    from kassa.plugins import get_plugins

    if plugins is get_plugins():
        return build(plugins.texts())
    installed_texts = get_plugins().texts()
    return build([*installed_texts, *plugins.texts()])


def catalogues() -> dict[str, dict[str, Text]]:
    global _catalogues
    if _catalogues is None:
        _catalogues = installed()
    return _catalogues


def t(key: str, locale: str = "ru", **kw: Any) -> str:
    """The text for ``key``; ``count=n`` picks a plural form; other ``kw`` fill the template."""
    cats = _catalogues or catalogues()
    text = cats.get(locale, cats["ru"]).get(key) or cats["ru"].get(key) or key
    if not isinstance(text, str):
        text = plural(text, locale, kw.get("count", 0))
    return text.format(**kw) if kw else text


def plural(forms: Mapping[str, str], locale: str, count: Any) -> str:
    """The form of ``forms`` the locale's plural rule picks for ``count``."""
    return forms.get(_plural_form(locale, count)) or forms["other"]


def _plural_form(locale: str, count: Any) -> str:
    try:
        return str(_locale(locale).plural_form(abs(count)))
    except (TypeError, ValueError):
        return "other"


@functools.lru_cache(maxsize=8)
def _locale(locale: str) -> Any:
    from babel.core import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("ru")


def kind_title(kind: str, locale: str = "ru") -> str:
    """The human name of an event kind (its declared title); unknown kinds show their name."""
    from kassa.model.event import current_kinds

    return current_kinds().title(kind, locale)
