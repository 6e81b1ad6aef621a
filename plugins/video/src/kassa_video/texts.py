"""What people read from this plugin (Russian first, English on request)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "video.not_started": "Видеоканал «{name}» не запущен; событие не принято.",
        "video.connecting": "Видеосистема «{name}» ({where}) ещё не подключена; события"
                            " копятся на диске.",
        "video.unreachable": "Видеосистема «{name}» ({where}) недоступна: {reason}. События"
                             " копятся на диске и уйдут по порядку, когда она вернётся.",
        "video.lost": "Связь с видеосистемой «{name}» ({where}) оборвалась: {reason}."
                      " События копятся на диске.",
        "video.backlog": "Видеосистема «{name}» не получает события {minutes} мин."
                         " (в очереди {count}).",
        "video.disk": "Очередь видеоканала «{name}» на диске недоступна: {reason}.",
        "video.failed": "Видеоканал «{name}» остановился из-за ошибки: {reason}.",
        "video.caught_up": "Видеосистема «{name}» получила все накопленные события.",
        "video.discount": "Скидка «{name}»",
        "video.discount_removed": "Снята скидка «{name}»",
        "video.card": "по карте {card}",
        "video.bad_event": "Событие {kind} ({id}) с точки {site} не понято и в видеосистему"
                           " не передано: {reason}.",
    },
    "en": {
        "video.not_started": "Video feed '{name}' is not running; the event was not taken.",
        "video.connecting": "Video system '{name}' ({where}) is not connected yet; events"
                            " are kept on disk.",
        "video.unreachable": "Video system '{name}' ({where}) is unreachable: {reason}."
                             " Events are kept on disk and go out in order once it is back.",
        "video.lost": "The link to video system '{name}' ({where}) dropped: {reason}."
                      " Events are kept on disk.",
        "video.backlog": "Video system '{name}' has received no events for {minutes} min"
                         " ({count} waiting).",
        "video.disk": "The on-disk queue of video feed '{name}' failed: {reason}.",
        "video.failed": "Video feed '{name}' stopped on an error: {reason}.",
        "video.caught_up": "Video system '{name}' has received every queued event.",
        "video.discount": "Discount '{name}'",
        "video.discount_removed": "Discount '{name}' removed",
        "video.card": "by card {card}",
        "video.bad_event": "Event {kind} ({id}) from site {site} is not understood and was"
                           " not fed to video: {reason}.",
    },
}


def say(key: str, locale: str = "ru", **kw: Any) -> str:
    """One sentence in ``locale`` (Russian when the locale is unknown)."""
    return TEXTS.get(locale, TEXTS["ru"])[key].format(**kw)
