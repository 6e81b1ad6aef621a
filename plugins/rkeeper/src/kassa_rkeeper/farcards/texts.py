"""What the till shows (Russian by default, English with ``[hub] locale = "en"``)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "unknown_card": "Карта {card} не найдена",
        "blocked": "Карта не принята: {reason}",
        "unreachable": "Программа лояльности {program} недоступна, попробуйте позже",
        "later": "Сервер лояльности занят, попробуйте позже; ничего не проведено",
        "unsure": "Нет ответа об оплате, проведена ли она: повторите закрытие чека, дважды "
                  "не спишется",
        "declined": "Отказ: {reason}",
        "no_payment": "Картой {card} нельзя оплатить: для неё не настроен счёт оплаты",
        "spend_over_limit": "Баллами можно оплатить не больше {limit} руб.",
        "nothing_to_cancel": "По карте {card} нечего отменять в этом чеке",
        "mixed": "В одном пакете и проведение, и отмена: не принято",
        "refused_before": "Этот чек уже был отклонён; закройте его как новый чек",
        "bad_request": "Запрос кассы не принят: {reason}",
        "door_key": "Касса не допущена к серверу карт: нет ключа кассы или он неверен",
        "door_address": "Касса не допущена к серверу карт: адрес {address} не разрешён",
        "door_too_big": "Запрос больше {limit} байт: не принят",
        "door_failed": "Сервер карт не смог выполнить запрос, ничего не проведено "
                       "(код ошибки {ref})",
        "available": "Доступно: {amount} руб.",
        "no_image": "Изображения карты {card} нет",
        "account_bonus": "Баллы",
        "account_debit": "Депозит",
        "account_credit": "Кредит",
    },
    "en": {
        "unknown_card": "Card {card} not found",
        "blocked": "Card not accepted: {reason}",
        "unreachable": "Loyalty programme {program} is not reachable, try again later",
        "later": "The loyalty server is busy, try again later; nothing was posted",
        "unsure": "No answer whether the payment went through: close the check again, it "
                  "will not be charged twice",
        "declined": "Declined: {reason}",
        "no_payment": "Card {card} cannot pay: no payment account is configured for it",
        "spend_over_limit": "Points may pay at most {limit} RUB",
        "nothing_to_cancel": "Nothing to cancel for card {card} in this check",
        "mixed": "One batch both posts and cancels: not accepted",
        "refused_before": "This check was refused before; close it as a new check",
        "bad_request": "The till's request is not accepted: {reason}",
        "door_key": "The till is not admitted to the card server: no or a wrong till key",
        "door_address": "The till is not admitted to the card server: address {address} "
                        "is not allowed",
        "door_too_big": "The request is over {limit} bytes: not accepted",
        "door_failed": "The card server could not do this, nothing was posted "
                       "(error code {ref})",
        "available": "Available: {amount} RUB",
        "no_image": "There is no image of card {card}",
        "account_bonus": "Points",
        "account_debit": "Deposit",
        "account_credit": "Credit",
    },
}


def say(locale: str, key: str, **kw: Any) -> str:
    texts = TEXTS.get(locale) or TEXTS["ru"]
    return texts.get(key, TEXTS["en"].get(key, key)).format(**kw)
