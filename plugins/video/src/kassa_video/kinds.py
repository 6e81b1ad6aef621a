"""The video plugin's event kinds, declared with ``register_event_kinds``."""

from __future__ import annotations

from kassa.model import EventKindSpec, Severity

BACKLOG = "video_feed_backlog"
CAUGHT_UP = "video_feed_caught_up"

KINDS = (
    EventKindSpec(BACKLOG, severity=Severity.WARNING, group="devices",
                  title={"ru": "Видеосистема не получает события кассы больше N минут",
                         "en": "Video feed backlog over N minutes"},
                  template={"ru": "📹 {site}: {text}", "en": "📹 {site}: {text}"}),
    EventKindSpec(CAUGHT_UP, severity=Severity.NOTICE, group="devices",
                  title={"ru": "Видеосистема получила накопленные события",
                         "en": "Video feed caught up"},
                  template={"ru": "📹 {site}: {text}", "en": "📹 {site}: {text}"}),
)
