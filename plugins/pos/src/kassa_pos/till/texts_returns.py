# ruff: noqa: E501  (a table of sentences: one per line reads better than split strings)
"""What the cashier reads on the return screen, ``{locale: {key: text}}``; keys start with
``pos.till.ret.``."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str | Mapping[str, str]]] = {
    "ru": {
        "pos.till.ret.title": "Возврат по чеку",
        "pos.till.ret.title_none": "Возврат без чека (подтверждает менеджер)",
        "pos.till.ret.find": "QR-код или номер чека (ФН/ФД) · F4 — без чека",
        "pos.till.ret.item": "Штрихкод или код товара (2*код — количество)",
        "pos.till.ret.col.no": "№",
        "pos.till.ret.col.name": "Товар",
        "pos.till.ret.col.left": "Можно вернуть",
        "pos.till.ret.col.back": "Возврат",
        "pos.till.ret.what": "«{text}» — не QR-код и не номер чека: отсканируйте QR-код или введите номер.",
        "pos.till.ret.found": "Чек найден. Пробел — позиция целиком, F3 — часть, F2 — все, F10 — оформить.",
        "pos.till.ret.all_back": "По этому чеку всё уже возвращено.",
        "pos.till.ret.ask_qty": "Сколько вернуть: «{name}» (можно до {left})?",
        "pos.till.ret.bad_qty": "«{text}» — не подходит: введите количество от 0,001 до {left}.",
        "pos.till.ret.none_hint": "Отсканируйте возвращаемые товары; деньги вернутся наличными. F10 — оформить.",
        "pos.till.ret.no_price": "У товара «{name}» нет цены сегодня: без чека его не вернуть.",
        "pos.till.ret.total": "К возврату: {amount}",
        "pos.till.ret.nothing": "Нечего возвращать: выберите позиции.",
        "pos.till.ret.first": "Сначала найдите чек продажи или нажмите F4 — возврат без чека.",
        "pos.till.ret.running": "Оформляется возврат… не закрывайте окно.",
        "pos.till.ret.act": "Возврат",
        "pos.till.ret.held": "Возврат начат, но не завершён: {reason}. F10 — повторить (дважды деньги не вернутся).",
        "pos.till.ret.leave": "Возврат не завершён: F10 — повторить. Esc ещё раз — выйти, возврат завершит старший кассир.",
        "pos.till.ret.done": "Возврат оформлен: {amount} ({ways}). Чек возврата № {fd}. Enter — закрыть.",
        "pos.till.ret.keys": "Пробел — позиция · F3 — часть · F2 — все · F4 — без чека · F10 — оформить · Esc — выход",
    },
    "en": {
        "pos.till.ret.title": "Return by receipt",
        "pos.till.ret.title_none": "Return without a receipt (a manager confirms)",
        "pos.till.ret.find": "The receipt's QR code or check number (FN/FD) · F4 without one",
        "pos.till.ret.item": "Barcode or item code (2*code for a quantity)",
        "pos.till.ret.col.no": "No.",
        "pos.till.ret.col.name": "Item",
        "pos.till.ret.col.left": "Returnable",
        "pos.till.ret.col.back": "Return",
        "pos.till.ret.what": "'{text}' is neither a QR code nor a check number: scan the QR code or type the number.",
        "pos.till.ret.found": "Receipt found. Space: a whole line, F3: part of it, F2: everything, F10: return.",
        "pos.till.ret.all_back": "Everything on this receipt has been returned already.",
        "pos.till.ret.ask_qty": "How much of '{name}' comes back (up to {left})?",
        "pos.till.ret.bad_qty": "'{text}' will not do: type a quantity from 0.001 to {left}.",
        "pos.till.ret.none_hint": "Scan the goods brought back; the money goes back in cash. F10 to return.",
        "pos.till.ret.no_price": "'{name}' has no price today: it cannot be returned without a receipt.",
        "pos.till.ret.total": "To refund: {amount}",
        "pos.till.ret.nothing": "Nothing to return: choose the lines.",
        "pos.till.ret.first": "Find the sale's receipt first, or press F4 for a return without one.",
        "pos.till.ret.running": "Returning... do not close this window.",
        "pos.till.ret.act": "Return",
        "pos.till.ret.held": "The return has started but is not finished: {reason}. F10 to retry (nothing goes back twice).",
        "pos.till.ret.leave": "The return is not finished: F10 to retry. Esc again to leave it to a supervisor.",
        "pos.till.ret.done": "Returned: {amount} ({ways}). Refund receipt No. {fd}. Enter to close.",
        "pos.till.ret.keys": "Space line · F3 part · F2 all · F4 without receipt · F10 return · Esc leave",
    },
}
