"""Digest folding: a chat out of budget gets its waiting alerts as one message when the budget
next allows a send. Pure: the outbox loads the payloads and stores the fold (``Marks.fold``)
before it sends it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from kassa import codec
from kassa.i18n import t
from kassa.marks import Digest
from kassa.model import ChatRef, Message, Severity

DIGEST_LINES = 40


class Head(NamedTuple):
    """What the worker needs to schedule a row; the payload stays in the store."""

    id: int
    kind: str
    severity: str
    next_at: datetime
    created_at: datetime
    attempts: int
    channel: str
    chat_id: str
    thread_id: str | None


def foldable(rows: list[Head], digest_after: int, not_due: Callable[[Head], bool]
             ) -> list[Head]:
    """The run of due alerts at the head of a chat's queue (a reply, a report or a stored
    digest ends it, so folding never reorders them; a digest once stored is sent as it
    is: it may have gone out in part)."""
    run = []
    for r in rows:
        if r.kind != "alert" or not_due(r):
            break
        run.append(r)
    return run if len(run) >= digest_after else []


def fold(run: list[Head], payloads: dict[int, str], locale: str) -> Digest | None:
    """Fold a run into one digest of at most DIGEST_LINES lines, dangerous first (nothing
    is written here: the outbox stores the fold before sending it)."""
    group: list[Head] = []
    entries: list[list[Any]] = []
    for r in run:
        body = codec.json_loads(payloads[r.id])
        mine = body.get("entries") or [[r.severity, body.get("summary") or "•",
                                         _iso(r.created_at)]]
        if group and len(entries) + len(mine) > DIGEST_LINES:
            break
        group.append(r)
        entries.extend(mine)
    if len(group) < 2:
        return None
    head = group[0]
    order = {s.value: s.rank for s in Severity}
    entries.sort(key=lambda x: -order.get(x[0], 0))  # stable: time order within a level
    times = sorted(x[2] for x in entries)
    minutes = max(1, round((datetime.fromisoformat(times[-1]) -
                            datetime.fromisoformat(times[0])).total_seconds() / 60))
    text = "<b>" + t("digest.title", locale, count=len(entries), minutes=minutes) + \
        "</b>\n" + "\n".join(x[1] for x in entries)
    top = max((x[0] for x in entries), key=lambda v: order.get(v, 0))
    msg = Message(chat=ChatRef(head.channel, head.chat_id, head.thread_id), text=text,
                  severity=Severity(top), kind="digest")
    body = codec.json_dumps({"message": codec.to_dict(msg), "entries": entries})
    return Digest(msg, [r.id for r in group[1:]], top, body)


def _iso(d: datetime) -> str:
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).isoformat()
