"""The hub's event stream -> every feed that takes the event's till, through ``hub.devices``
(the journal: one send per key, a retry never queues an event twice)."""

from __future__ import annotations

import json
import logging
from typing import Any
from zoneinfo import ZoneInfo

from attrs import evolve
from kassa.model import Event

from kassa_video.feed import VideoFeed
from kassa_video.mapping import BadEvent, Mapper
from kassa_video.texts import say

log = logging.getLogger("kassa.video")
STATE = "video"


def mapper(hub: Any) -> Mapper:
    state = hub.state(STATE)
    if "mapper" not in state:
        locale = hub.settings.hub.locale

        def tz(site: str) -> ZoneInfo:
            return ZoneInfo(hub.site(site).timezone)

        state["mapper"] = Mapper(tz, lambda key, **kw: say(key, locale, **kw))
    m: Mapper = state["mapper"]
    return m


def feeds(hub: Any) -> list[VideoFeed]:
    return list(hub.state(STATE).get("feeds", []))


async def forward(event: Event, hub: Any) -> int:
    """Queue ``event``'s till events on each feed that takes them; how many were queued.
    A payload that does not fit is one log line; the hub goes on."""
    takers = []
    for feed in feeds(hub):
        s = feed.settings
        terminal = s.terminal(event.site, event.station)
        if terminal is None or event.kind in s.skip:
            continue
        if event.kind == "fiscal_receipt" and not s.fiscal:
            continue
        takers.append((feed, terminal))
    m = mapper(hub)
    if not takers or event.kind not in m.kinds():
        return 0
    try:
        request = await _request(event, hub) if event.kind == "fiscal_receipt" else None
        pos = m.map(event, request)
    except (BadEvent, ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
        log.warning("%s", say("video.bad_event", hub.settings.hub.locale, kind=event.kind,
                              id=event.id, site=event.site, reason=str(exc) or type(exc).__name__))
        return 0
    queued = 0
    for feed, terminal in takers:
        for i, p in enumerate(pos):
            key = f"video:{feed.name}:{event.id}:{i}"
            try:
                await hub.devices.video(evolve(p, terminal_id=terminal), key=key,
                                        site=event.site, sink=feed.name, station=event.station)
                queued += 1
            except Exception as exc:  # journaled as failed/unknown; the stream goes on
                log.error("video feed %s did not take %s of event %s: %s", feed.name,
                          p.kind, event.id, exc)
    return queued


async def _request(event: Event, hub: Any) -> Any:
    key = event.data.get("key")
    if not isinstance(key, str):
        raise BadEvent("it carries no journal key")
    entry = await hub.journal.entry(key)
    if entry is None:
        raise BadEvent(f"the journal has no entry {key!r}")
    return json.loads(entry.request)
