"""The sentences a payment refusal or failure says (``engine/pay.py`` ``PayError``), Russian
and English."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "underpaid": "Не хватает {due}: оплачено {paid} из {total}.",
        "over_non_cash": "Безналичная оплата {paid} больше суммы чека {total}: сдача "
                         "бывает только с наличных.",
        "cash_not_needed": "Наличные не нужны: чек уже оплачен другими способами.",
        "change_too_big": "Сдача {change} слишком велика: проверьте сумму наличных.",
        "terminal_unknown": "Терминал «{name}» не подключён к этой кассе.",
        "internal_unknown": "Вид оплаты «{name}» не настроен.",
        "method_missing": "Оплата «{kind}» на этой кассе не настроена.",
        "bonus_too_much": "Бонусами можно оплатить не больше {max}.",
        "bonus_offline": "Гость найден в справочнике магазина без связи с программой "
                         "лояльности: бонусами сейчас оплатить нельзя.",
        "declined": "Оплата не прошла: {reason}. Чек не пробит, деньги не списаны.",
        "fiscal_failed": "Чек не пробит: {reason}. Оплата возвращена.",
        "pending_other": "Оплата этого чека уже начата другими способами: завершите её.",
        "already_paid": "Чек уже оплачен.",
        "empty": "В чеке нет товаров.",
        "receipt_exists": "Чек мог быть уже пробит: сначала повторите оплату, касса "
                          "сверится с регистратором и терминалом.",
    },
    "en": {
        "underpaid": "{due} short: {paid} of {total} paid.",
        "over_non_cash": "Non-cash payment {paid} exceeds the check {total}: change is given "
                         "from cash only.",
        "cash_not_needed": "No cash needed: the check is already paid by other means.",
        "change_too_big": "Change {change} is too big: check the cash amount.",
        "terminal_unknown": "Terminal '{name}' is not connected to this till.",
        "internal_unknown": "Payment kind '{name}' is not configured.",
        "method_missing": "Payment '{kind}' is not configured at this till.",
        "bonus_too_much": "At most {max} may be paid with bonus points.",
        "bonus_offline": "The guest was found in the store's register without a link to the "
                         "loyalty programme: points cannot pay now.",
        "declined": "Payment failed: {reason}. Nothing was fiscalised or charged.",
        "fiscal_failed": "Receipt not printed: {reason}. The payment was returned.",
        "pending_other": "Paying this check has already started with other tenders: "
                         "finish it.",
        "already_paid": "The check is already paid.",
        "empty": "The check has no items.",
        "receipt_exists": "The receipt may already be made: retry the payment first, the "
                          "till will check with the register and the terminal.",
    },
}
