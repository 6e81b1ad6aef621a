"""What people read from this plugin, Russian by default, English on request: the catalogue
(``register_texts``) and the shared errors carrying a key, so ``err.text("en")`` works like
``ReceiptError.text``. The register's own error text (``codes.ERRORS``) stays Russian: it is
what the register's display and its manual say."""

from __future__ import annotations

from typing import Any

from kassa.errors import Permanent, RetryLater, UserError

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "shtrih.refused": "Касса «{name}» отказала ({what}): {reason} (код 0x{code:02X}).",
        "shtrih.broken": "Касса «{name}» не может работать: {reason} (код 0x{code:02X}).",
        "shtrih.not_now": "Касса «{name}»: {reason} — {what}: не выполнено, повторим позже.",
        "shtrih.silent": "Касса «{name}» не отвечает — {what}: не выполнено.",
        "shtrih.lookup_silent": "Касса «{name}» не отвечает: проверить {key} пока нельзя.",
        "shtrih.vat": "Строка {line}, тег 1199: ставку НДС {rate} эта касса (прошивка с "
                      "основной ставкой {main}%) не поддерживает.",
        "shtrih.marking": "Строка {line}, тег 2000: код маркировки отклонён (2106 = {info}).",
        "shtrih.text_unknown": "Касса «{name}»: по счётчикам не понять, напечатан ли текст "
                               "{key}; проверьте ленту.",
        "shtrih.moved": "Касса «{name}»: после {key} напечатано документов: {moved}; какой "
                        "из них наш, не понять.",
        "shtrih.ambiguous": "Касса «{name}»: для {key} подходят документы № {numbers}; "
                            "решите вручную.",
        "shtrih.what.receipt": "чек", "shtrih.what.correction": "чек коррекции",
        "shtrih.what.cash_in": "внесение", "shtrih.what.cash_out": "выплата",
        "shtrih.what.shift_open": "открытие смены",
        "shtrih.what.shift_close": "закрытие смены (Z-отчёт)",
        "shtrih.what.x_report": "X-отчёт", "shtrih.what.text": "печать текста",
        "shtrih.what.marking": "проверка кода маркировки", "shtrih.what.status": "состояние",
    },
    "en": {
        "shtrih.refused": "Register “{name}” refused ({what}): {reason} (code 0x{code:02X}).",
        "shtrih.broken": "Register “{name}” cannot work: {reason} (code 0x{code:02X}).",
        "shtrih.not_now": "Register “{name}”: {reason} — {what} not done, will retry.",
        "shtrih.silent": "Register “{name}” does not answer — {what} not done.",
        "shtrih.lookup_silent": "Register “{name}” does not answer: {key} cannot be "
                                "checked yet.",
        "shtrih.vat": "Line {line}, tag 1199: this register (firmware main rate {main}%) "
                      "has no VAT rate {rate}.",
        "shtrih.marking": "Line {line}, tag 2000: the marking code was rejected "
                          "(2106 = {info}).",
        "shtrih.text_unknown": "Register “{name}”: its counters cannot tell whether text "
                               "{key} was printed; check the paper.",
        "shtrih.moved": "Register “{name}”: {moved} documents were printed after {key}; "
                        "which one is ours cannot be told.",
        "shtrih.ambiguous": "Register “{name}”: documents {numbers} all fit {key}; decide "
                            "by hand.",
        "shtrih.what.receipt": "receipt", "shtrih.what.correction": "correction receipt",
        "shtrih.what.cash_in": "cash in", "shtrih.what.cash_out": "cash out",
        "shtrih.what.shift_open": "shift open", "shtrih.what.shift_close": "Z report",
        "shtrih.what.x_report": "X report", "shtrih.what.text": "text print",
        "shtrih.what.marking": "marking check", "shtrih.what.status": "status",
    },
}


def say(key: str, locale: str = "ru", /, **params: Any) -> str:
    cat = TEXTS.get(locale, TEXTS["ru"])
    if "what" in params:  # a document kind, said in the same language
        w = f"shtrih.what.{params['what']}"
        params = {**params, "what": cat.get(w, TEXTS["ru"].get(w, params["what"]))}
    return (cat.get(key) or TEXTS["ru"][key]).format(**params)


class _Said:
    key: str
    params: dict[str, Any]

    def text(self, locale: str = "ru") -> str:
        return say(self.key, locale, **self.params)


class ShtrihUserError(_Said, UserError):
    def __init__(self, key: str, /, **params: Any) -> None:
        self.key, self.params = key, params
        UserError.__init__(self, say(key, **params))


class ShtrihRetryLater(_Said, RetryLater):
    def __init__(self, key: str, /, *, after: float | None = None,
                 **params: Any) -> None:
        self.key, self.params = key, params
        RetryLater.__init__(self, say(key, **params), after=after)


class ShtrihPermanent(_Said, Permanent):
    def __init__(self, key: str, /, **params: Any) -> None:
        self.key, self.params = key, params
        Permanent.__init__(self, say(key, **params))
