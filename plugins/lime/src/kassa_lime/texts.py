"""What people read (the till's screen, the console), in Russian and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "lime.unavailable": "Lime недоступен, оплата не проведена: попробуйте позже",
        "lime.unknown_card": "Карта не найдена в Lime",
        "lime.insufficient": "Недостаточно средств на счетах карты в Lime",
        "lime.no_hold": "Оплата Lime {id} не найдена",
        "lime.not_held": "Оплата Lime {id} уже {status}",
        "lime.capture_over": "Нельзя списать больше удержанного",
        "lime.refund_over": "Нельзя вернуть больше списанного",
        "lime.bad_amount": "Сумма должна быть больше нуля",
        "lime.auth": "Lime не принимает логин или пароль кассы: проверьте настройки [lime]",
        "lime.line_sum": "Оплаты больше суммы чека",
        "lime.hold_lapsed": "Удержание Lime {id} истекло: проведите оплату заново",
        "lime.status.authorized": "удержана",
        "lime.status.captured": "списана",
        "lime.status.voided": "отменена",
        "lime.no_captures": "В чеке нет оплат Lime",
        "lime.twice": "Одна оплата Lime указана в чеке дважды",
        "lime.refund_checks": "Один возврат Lime может вернуть оплаты только одного чека",
        "lime.return_unknown_entries": "Возврат не передан в Lime: ответ Lime на продажу "
                                       "потерян, номера её позиций неизвестны; оформите "
                                       "возврат в Lime вручную",
        "lime.key_kind": "Ключ {which} уже использован для другой операции ({kind})",
    },
    "en": {
        "lime.unavailable": "Lime is unavailable, nothing was charged: try again later",
        "lime.unknown_card": "Lime does not know this card",
        "lime.insufficient": "Not enough on the card's Lime accounts",
        "lime.no_hold": "Lime payment {id} not found",
        "lime.not_held": "Lime payment {id} is already {status}",
        "lime.capture_over": "Cannot take more than was held",
        "lime.refund_over": "Cannot give back more than was taken",
        "lime.bad_amount": "The amount must be above zero",
        "lime.auth": "Lime refuses the till's login or password: check [lime] in kassa.toml",
        "lime.line_sum": "The payments exceed the check",
        "lime.hold_lapsed": "Lime hold {id} has lapsed: pay again",
        "lime.status.authorized": "held",
        "lime.status.captured": "captured",
        "lime.status.voided": "voided",
        "lime.no_captures": "The check has no Lime payments",
        "lime.twice": "One Lime payment appears twice in the check",
        "lime.refund_checks": "One Lime return can give back the payments of one check only",
        "lime.return_unknown_entries": "Return not put to Lime: Lime's answer to the sale was "
                                       "lost and its entries' ids are unknown; make the "
                                       "return in Lime by hand",
        "lime.key_kind": "Key {which} was used for another operation ({kind})",
    },
}
