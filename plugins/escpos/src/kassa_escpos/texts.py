"""What people read from this plugin (Russian first, English on request)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "escpos.unreachable": "Принтер «{name}» ({where}) недоступен: {reason}.",
        "escpos.no_status": "Принтер «{name}» не ответил на запрос состояния за {seconds} с.",
        "escpos.not_connected": "Принтер «{name}» не подключён; задание подождёт.",
        "escpos.paper_out": "В принтере «{name}» закончилась бумага: вставьте рулон.",
        "escpos.cover_open": "У принтера «{name}» открыта крышка: закройте её.",
        "escpos.offline": "Принтер «{name}» не в сети (ошибка или кнопка подачи).",
        "escpos.near_end": "В принтере «{name}» заканчивается бумага.",
        "escpos.lost": "Связь с принтером «{name}» оборвалась во время печати: чек мог"
                       " напечататься не полностью, сам он не повторится.",
        "escpos.ran_out": "У принтера «{name}» во время печати {reason}: чек мог"
                          " напечататься не полностью, сам он не повторится.",
        "escpos.bad_raw": "Задание для принтера «{name}» содержит неизвестные команды"
                          " ESC/POS: {what}.",
        "escpos.bad_line": "Строка задания «{line}» не распознана: {reason}.",
        "escpos.profile": "У принтера «{name}» в kassa.toml профиль «{profile}», которого"
                          " нет в базе python-escpos (escpos-printer-db).",
        "escpos.torn": "— связь прерывалась: проверьте чек выше —",
    },
    "en": {
        "escpos.unreachable": "Printer '{name}' ({where}) is unreachable: {reason}.",
        "escpos.no_status": "Printer '{name}' did not answer a status request within"
                            " {seconds} s.",
        "escpos.not_connected": "Printer '{name}' is not connected; the job will wait.",
        "escpos.paper_out": "Printer '{name}' is out of paper: load a roll.",
        "escpos.cover_open": "Printer '{name}' has its cover open: close it.",
        "escpos.offline": "Printer '{name}' is offline (an error or the feed button).",
        "escpos.near_end": "Printer '{name}' is running out of paper.",
        "escpos.lost": "The link to printer '{name}' dropped while printing: the ticket may"
                       " be half printed and will not be repeated by itself.",
        "escpos.ran_out": "Printer '{name}' reported {reason} while printing: the ticket"
                          " may be half printed and will not be repeated by itself.",
        "escpos.bad_raw": "The job for printer '{name}' has unknown ESC/POS commands: {what}.",
        "escpos.bad_line": "Job line '{line}' is not understood: {reason}.",
        "escpos.profile": "Printer '{name}' has profile '{profile}' in kassa.toml, which"
                          " python-escpos's database (escpos-printer-db) does not know.",
        "escpos.torn": "- the link dropped: check the ticket above -",
    },
}


def say(key: str, locale: str = "ru", **kw: Any) -> str:
    """One sentence in ``locale`` (Russian when the locale is unknown)."""
    return TEXTS.get(locale, TEXTS["ru"])[key].format(**kw)
