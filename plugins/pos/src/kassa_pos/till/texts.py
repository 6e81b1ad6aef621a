"""What the cashier reads on the till's main screens (app, sale screen, login, layout,
banner), ``{locale: {key: text}}``; keys start with ``pos.till.``. Look up with
``kassa.i18n.t(key, locale, **kw)``; a count picks its plural form (``count=n``)."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str | Mapping[str, str]]] = {
    "ru": {
        "pos.till.title": "Касса",
    },
    "en": {
        "pos.till.title": "Till",
    },
}
