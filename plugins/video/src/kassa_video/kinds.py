"""The video plugin's event kinds, declared with ``register_event_kinds``."""

from __future__ import annotations

from kassa.model import EventKindSpec, Severity

BACKLOG = "video_feed_backlog"
CAUGHT_UP = "video_feed_caught_up"

KINDS = (
    EventKindSpec(BACKLOG, severity=Severity.WARNING, group="devices",
                  title={"ru": "Видеосистема не получает события кассы больше N минут",
                         "en": "Video feed backlog over N minutes"},
                  # from data, so each chat reads it in its own language
                  template={"ru": "📹 Видеосистема «{data[device]}» не получает события"
                                  " {data[minutes]} мин. (в очереди {data[backlog]}); они"
                                  " хранятся на диске и уйдут по порядку.",
                            "en": "📹 Video system '{data[device]}' has received no events for"
                                  " {data[minutes]} min ({data[backlog]} waiting); they are"
                                  " kept on disk and go out in order."}),
    EventKindSpec(CAUGHT_UP, severity=Severity.NOTICE, group="devices",
                  title={"ru": "Видеосистема получила накопленные события",
                         "en": "Video feed caught up"},
                  template={"ru": "📹 Видеосистема «{data[device]}» получила все накопленные"
                                  " события.",
                            "en": "📹 Video system '{data[device]}' has received every queued"
                                  " event."}),
)
