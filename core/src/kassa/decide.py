"""The router's decision for a new event: one outbox row per chat that gets a message, and the
shift reports a closing event starts. Runs inside the event log's transaction (keep it fast)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kassa.model import Event, Message
from kassa.notify_default import summary_line
from kassa.outbox import outbox_row


def decide(hub: Any, event: Event) -> list[dict[str, Any]]:
    """Rows for ``event`` (``hub``: the running Hub's router, plugins, kinds and clock)."""
    rows = []
    now = hub.clock.now()
    summaries: dict[str, str] = {}  # the digest line, once per locale (most chats share one)
    for chat, locale in hub.router.targets(event):
        msg = hub.plugins.format_message(event, chat, locale, hub)
        if msg is None:
            continue
        if locale not in summaries:
            summaries[locale] = summary_line(event, locale, hub.site(event.site),
                                             hub.kinds)
        rows.append(outbox_row(msg, key=f"{event.id}:{chat}", now=now,
                               summary=summaries[locale]))
    spec = hub.kinds.get(event.kind)
    if spec is not None and spec.closes_shift:
        for rule, name in hub.router.auto_reports(event):
            chat = rule.ref
            job = {"job": "report", "report": name, "site": event.site, "period": "shift",
                   "event_id": event.id, "locale": hub.router.locale(rule),
                   "closing": list(rule.closing)}
            msg = Message(chat=chat, text="", kind="report", event_id=event.id)
            row = outbox_row(msg, key=f"{event.id}:{chat}:report:{name}", now=now, job=job)
            # facts of the shift's last seconds may still be on their way (a source reads
            # them after the close is pushed): build the report a little later
            row["next_at"] = now + timedelta(seconds=hub.settings.outbox.report_settle)
            rows.append(row)
    return rows

