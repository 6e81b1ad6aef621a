"""What people read from this plugin, in Russian and English (the core catalogue is not ours)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "keyboard_follow_up": "Действия:",
        "not_admin": ("Бот не администратор с правом «Читать все сообщения» в группе {chat}: "
                      "команды там не дойдут, работают только кнопки."),
    },
    "en": {
        "keyboard_follow_up": "Actions:",
        "not_admin": ("The bot is not an admin with “read all messages” in group {chat}: "
                      "commands there will not arrive, only buttons work."),
    },
}


def text(key: str, locale: str, **kw: Any) -> str:
    table = TEXTS.get(locale) or TEXTS["ru"]
    return table[key].format(**kw)
