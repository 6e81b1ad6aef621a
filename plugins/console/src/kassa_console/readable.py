"""Machine facts as an operator reads them: an event's data and a component's health as
labelled lines ("Расхождение часов: 15 ч 0 мин"), never as Python dicts or raw keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from kassa_console.i18n import moment, t

# labels of the facts events carry and components report (the core's and the plugins' that
# ship with Kassa); an unknown key reads as words
LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "clock_skew_s": "Расхождение часов",
        "last_error": "Последняя ошибка",
        "error": "Ошибка",
        "last_ok": "Последний успех",
        "listening": "Приём уведомлений",
        "listen_port": "Порт приёма",
        "listen_error": "Ошибка приёма",
        "sent": "Отправлено",
        "received": "Получено",
        "mode": "Режим",
        "bot": "Бот",
        "name": "Имя",
        "queue": "В очереди",
        "webhook_rejected": "Отклонено вебхуком",
        "notify_name": "Уведомление",
        "situation": "Ситуация r_keeper",
        "shift": "Смена",
        "shift_date": "Дата смены",
        "next_shift": "Следующая смена",
        "shift_closed": "Смена закрыта",
        "outage_s": "Без связи",
        "offline_since": "Без связи с",
        "silent_s": "Молчит",
        "down_s": "Простой",
        "from": "С",
        "until": "По",
        "printed": "Напечатан",
        "before": "Было",
        "discount": "Скидка",
        "card": "Карта",
        "from_receipt": "Из чека",
        "first": "Первое",
        "last": "Последнее",
        "count": "Количество",
        "other_order": "Другой заказ",
        "other_table": "Другой стол",
        "device": "Устройство",
        "device_kind": "Тип устройства",
        "available": "Доступно",
        "since": "С",
        "attempts": "Попыток",
        "rk_fact": "Факт r_keeper",
        "dish": "Блюдо",
        "printer": "Принтер",
        "text": "Текст",
        "category": "Категория",
        "status": "Состояние",
        "version": "Версия",
        "uptime_s": "Работает",
    },
    "en": {
        "clock_skew_s": "Clock difference",
        "last_error": "Last error",
        "error": "Error",
        "last_ok": "Last success",
        "listening": "Listening",
        "listen_port": "Listen port",
        "listen_error": "Listen error",
        "sent": "Sent",
        "received": "Received",
        "mode": "Mode",
        "bot": "Bot",
        "name": "Name",
        "queue": "Queued",
        "webhook_rejected": "Rejected by webhook",
        "notify_name": "Notification",
        "situation": "r_keeper situation",
        "shift": "Shift",
        "shift_date": "Shift date",
        "next_shift": "Next shift",
        "shift_closed": "Shift closed",
        "outage_s": "Offline for",
        "offline_since": "Offline since",
        "silent_s": "Silent for",
        "down_s": "Down for",
        "from": "From",
        "until": "Until",
        "printed": "Printed",
        "before": "Before",
        "discount": "Discount",
        "card": "Card",
        "from_receipt": "From the receipt",
        "first": "First",
        "last": "Last",
        "count": "Count",
        "other_order": "Other order",
        "other_table": "Other table",
        "device": "Device",
        "device_kind": "Device type",
        "available": "Available",
        "since": "Since",
        "attempts": "Attempts",
        "rk_fact": "r_keeper fact",
        "dish": "Dish",
        "printer": "Printer",
        "text": "Text",
        "category": "Category",
        "status": "Status",
        "version": "Version",
        "uptime_s": "Up for",
    },
}
# keys the operator never needs to see as a line: shown elsewhere or internal
HIDDEN = frozenset({"online", "ok", "warning", "warnings", "groups", "station_id"})


def duration(seconds: float, locale: str) -> str:
    """``53976.8`` -> ``15 ч 0 мин``; under a minute ``42 с``; the sign says ahead/behind."""
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return sign + t("unit.h_min", locale, h=hours, m=minutes)
    if minutes:
        return sign + t("unit.min_s", locale, m=minutes, s=secs)
    return sign + t("unit.s", locale, s=secs)


def label(key: str, locale: str) -> str:
    """The key's label; an unknown key reads as words."""
    found = LABELS.get(locale, LABELS["ru"]).get(key)
    return found or key.replace("_", " ").capitalize()


def value(key: str, raw: Any, locale: str) -> str | None:
    """The value as words; None when there is nothing to say (empty, unset)."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        return None
    if isinstance(raw, bool):
        return t("value.yes" if raw else "value.no", locale)
    if key.endswith("_s") and isinstance(raw, (int, float)):
        return duration(float(raw), locale)
    if isinstance(raw, str) and len(raw) >= 19 and raw[4] == "-" and raw[10] == "T":
        try:
            return moment(datetime.fromisoformat(raw))
        except ValueError:
            return raw
    if isinstance(raw, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in raw.items() if v not in (None, ""))
    if isinstance(raw, (list, tuple)):
        return ", ".join(str(v) for v in raw)
    return str(raw)


def lines(facts: Mapping[str, Any], locale: str) -> Iterator[tuple[str, str]]:
    """(label, value) per fact worth a line, in key order."""
    for key in sorted(facts):
        if key in HIDDEN:
            continue
        shown = value(key, facts[key], locale)
        if shown is not None:
            yield label(key, locale), shown


def is_online(health: Mapping[str, Any]) -> bool:
    """A component's ``online``; one that does not say (a channel reporting only its
    counters) is online unless its last attempt failed."""
    online = health.get("online")
    if online is not None:
        return bool(online)
    return not (health.get("last_error") or health.get("error"))
