"""What the cashier reads on the till's modal screens (payment, return, reports and shift,
guest and client service, manager's confirmation), ``{locale: {key: text}}``; keys start
with ``pos.till.`` (``pos.till.pay.``, ``pos.till.ret.``, ``pos.till.rep.``,
``pos.till.guest.``, ``pos.till.confirm.``)."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str | Mapping[str, str]]] = {
    "ru": {
        "pos.till.pay.title": "Оплата",
    },
    "en": {
        "pos.till.pay.title": "Payment",
    },
}
