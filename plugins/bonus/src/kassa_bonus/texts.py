"""What people read (the till's screen, the guest bot), in Russian and English."""

from __future__ import annotations

from typing import Any

# a text is a string or CLDR plural forms (picked by ``count``, kassa.i18n's rule)
TEXTS: dict[str, dict[str, Any]] = {
    "ru": {
        "unknown_card": "Карта не найдена",
        "blocked": "Карта заблокирована: {reason}",
        "expired": "Срок действия карты истёк",
        "replaced": "Карта заменена на новую",
        "insufficient_funds": "Недостаточно баллов на счёте",
        "spend_over_limit": "Баллами можно оплатить не больше {limit} руб.",
        "nothing_to_cancel": "Нечего отменять по этому чеку",
        "restaurant": "Ресторан не подключён к программе лояльности",
        "failed": "Операция не выполнена: {reason}",
        "card_screen": "Баланс: {balance} б. Уровень: {level}",
        "new_card": "Новая карта выдана",
        "door_key": "Касса не допущена к серверу карт: нет ключа кассы или он неверен",
        "door_address": "Касса не допущена к серверу карт: адрес {address} не разрешён",
        "door_too_big": "Запрос больше {limit} байт: не принят",
        "door_failed": "Сервер карт не смог выполнить запрос; ничего не проведено",
        "balance": {"one": "Ваш баланс: {balance} балл. Уровень: {level}.",
                    "few": "Ваш баланс: {balance} балла. Уровень: {level}.",
                    "many": "Ваш баланс: {balance} баллов. Уровень: {level}.",
                    "other": "Ваш баланс: {balance} балла. Уровень: {level}."},
        "registered": "Вы зарегистрированы! Ваша карта: {card}",
        "share_phone": "Поделитесь номером телефона, чтобы зарегистрироваться.",
        "not_registered": "Вы ещё не зарегистрированы: отправьте /start и поделитесь номером.",
        "history_empty": "Операций пока нет.",
        "feedback_thanks": "Спасибо! Мы передали ваш отзыв менеджеру.",
        "feedback_usage": "Напишите отзыв после команды: /feedback Всё было вкусно",
        "unsubscribed": "Вы отписались от рассылки.",
        "console_title": "Лояльность",
        "console_find": "Телефон или номер карты, Enter — найти",
        "console_pick": "Найдите гостя по телефону или карте.",
        "console_guest": "{name}  ·  {phone}  ·  уровень {level}  ·  карты: {cards}",
        "console_not_found": "Гость не найден: {text}",
        "console_error": "Сервер лояльности: {error}",
        "console_offline": "Нет связи с хабом: поиск гостя недоступен",
        "col_account": "Счёт", "col_balance": "Баланс", "col_available": "Доступно",
        "col_limit": "Кредит", "col_at": "Когда", "col_kind": "Операция", "col_amount": "Сумма",
        "col_site": "Ресторан", "col_order": "Чек",
        "console_back": "выйти из поиска / назад", "console_search": "поиск",
        "console_help": "Гость по телефону или карте: баланс, уровень, история",
        "account_bonus": "Бонусы", "account_deposit": "Депозит", "account_credit": "Кредит",
        "op_earn": "Начисление", "op_spend": "Списание", "op_topup": "Пополнение",
        "op_capture": "Оплата", "op_expire": "Сгорание", "op_hold": "Резерв",
    },
    "en": {
        "unknown_card": "Card not found",
        "blocked": "Card blocked: {reason}",
        "expired": "The card has expired",
        "replaced": "The card was replaced by a new one",
        "insufficient_funds": "Not enough points on the account",
        "spend_over_limit": "Points may pay at most {limit} RUB",
        "nothing_to_cancel": "Nothing to cancel for this check",
        "restaurant": "This restaurant is not in the loyalty programme",
        "failed": "Not done: {reason}",
        "card_screen": "Balance: {balance} pts. Level: {level}",
        "new_card": "New card issued",
        "door_key": "The till is not admitted to the card server: no or a wrong till key",
        "door_address": "The till is not admitted to the card server: address {address} "
                        "is not allowed",
        "door_too_big": "The request is over {limit} bytes: not accepted",
        "door_failed": "The card server could not do this; nothing was posted",
        "balance": {"one": "Your balance: {balance} point. Level: {level}.",
                    "other": "Your balance: {balance} points. Level: {level}."},
        "registered": "You are registered! Your card: {card}",
        "share_phone": "Share your phone number to register.",
        "not_registered": "You are not registered yet: send /start and share your number.",
        "history_empty": "No operations yet.",
        "feedback_thanks": "Thank you! Your feedback went to the manager.",
        "feedback_usage": "Write your feedback after the command: /feedback It was tasty",
        "unsubscribed": "You are unsubscribed from mailings.",
        "console_title": "Loyalty",
        "console_find": "Phone or card number, Enter to find",
        "console_pick": "Find a guest by phone or card.",
        "console_guest": "{name}  ·  {phone}  ·  level {level}  ·  cards: {cards}",
        "console_not_found": "No guest found: {text}",
        "console_error": "Loyalty server: {error}",
        "console_offline": "The hub is not reachable: guest look-up is unavailable",
        "col_account": "Account", "col_balance": "Balance", "col_available": "Available",
        "col_limit": "Credit", "col_at": "When", "col_kind": "Operation", "col_amount": "Amount",
        "col_site": "Restaurant", "col_order": "Check",
        "console_back": "leave the search / back", "console_search": "search",
        "console_help": "A guest by phone or card: balance, level, history",
        "account_bonus": "Points", "account_deposit": "Deposit", "account_credit": "Credit",
        "op_earn": "Earned", "op_spend": "Spent", "op_topup": "Top-up",
        "op_capture": "Paid", "op_expire": "Expired", "op_hold": "Hold",
    },
}


# /help lines of the guest bot's commands (ChatCommand.description holds the key)
HELP: dict[str, dict[str, str]] = {
    "ru": {"contact": "зарегистрироваться по номеру телефона",
           "card": "виртуальная карта (QR-код и штрихкод)",
           "balance": "баланс баллов и уровень", "history": "последние операции",
           "feedback": "отправить отзыв менеджерам", "unsubscribe": "отписаться от рассылки"},
    "en": {"contact": "register by phone", "card": "virtual card (QR and barcode)",
           "balance": "points balance and level", "history": "last operations",
           "feedback": "send feedback to the managers", "unsubscribe": "stop mailings"},
}


def catalogue() -> dict[str, dict[str, Any]]:
    """These texts for the core's catalogue (``register_texts``), keys under ``bonus.``."""
    return {loc: {**{f"bonus.{k}": v for k, v in TEXTS[loc].items()},
                  **{f"bonus.help.{k}": v for k, v in HELP[loc].items()}}
            for loc in TEXTS}


def say(locale: str, key: str, **kw: Any) -> str:
    """The text in ``locale``; plural forms are picked by ``count`` (what the number is)."""
    from kassa.i18n import plural

    table = TEXTS.get(locale) or TEXTS["ru"]
    text = table.get(key, TEXTS["en"].get(key, key))
    if isinstance(text, dict):
        text = plural(text, locale if locale in TEXTS else "ru", kw.get("count", 0))
    return str(text).format(**kw)


def points(hundredths: int, locale: str) -> tuple[str, Any]:
    """Points as people read them, and the number their plural form goes by: whole points
    without decimals ("1 300"), a fraction in the one money format ("12,50"); points are
    kept in hundredths like kopecks."""
    from decimal import Decimal

    from kassa.model.money import format_amount

    if hundredths % 100 == 0:  # drop the decimal mark and ",00" (one mark in ru and en)
        return format_amount(hundredths, locale)[:-3], hundredths // 100
    return format_amount(hundredths, locale), Decimal(hundredths) / 100
