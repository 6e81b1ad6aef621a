"""The journal against the OFD: every fiscal receipt the hub made in a period must be at the
operator; one still missing ``missing_after_hours`` after it was made raises one
``ofd_receipt_missing`` alert naming it (the event's source key is the FN + FD, so a later run
never raises it twice, and a receipt that arrived is simply no longer missing)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from kassa import codec
from kassa.errors import UserError
from kassa.journal import Journal
from kassa.model import DocumentKind, Event, FiscalDocument

from kassa_ofd.client import OfdClient
from kassa_ofd.kinds import RECEIPT_MISSING
from kassa_ofd.texts import say

log = logging.getLogger(__name__)
KINDS = (DocumentKind.RECEIPT, DocumentKind.CORRECTION)
MARGIN = timedelta(hours=1)  # OFD list windows reach this far round the journal's receipts


@frozen(kw_only=True)
class Made:
    """A receipt the journal holds: its key, site and document."""

    key: str
    site: str | None
    doc: FiscalDocument


@frozen(kw_only=True)
class Reconciled:
    checked: int  # receipts in the journal's period
    at_ofd: int
    missing: tuple[Made, ...]  # overdue: not at the OFD after missing_after_hours
    waiting: tuple[Made, ...]  # not there yet, not overdue either
    alerts: int  # alerts raised by this run (0 for one already raised)


async def made_between(journal: Journal, since: datetime, until: datetime | None = None
                       ) -> list[Made]:
    """Fiscal receipts and corrections the journal recorded as done in the period."""
    out = []
    for e in await journal.done_between(since, until, concern="fiscal"):
        if not e.result:
            continue
        try:
            doc = codec.loads(e.result, FiscalDocument)
        except Exception:  # another kind of result (a status, a report): not a document
            continue
        if doc.kind in KINDS and doc.fn and doc.number is not None:
            out.append(Made(key=e.key, site=e.site, doc=doc))
    return out


async def reconcile(client: OfdClient, made: list[Made], *, now: datetime,
                    overdue_after: timedelta) -> tuple[list[Made], list[Made], int]:
    """(missing, waiting, found) for ``made``: one register list and one receipt list per
    FN, over the span of its receipts."""
    by_fn: dict[str, list[Made]] = defaultdict(list)
    for m in made:
        by_fn[str(m.doc.fn)].append(m)
    missing: list[Made] = []
    waiting: list[Made] = []
    found = 0
    for fn, items in by_fn.items():
        try:
            kkt = await client.kkt_of(fn)
        except UserError:  # the OFD does not know the FN at all: none of them arrived
            at_ofd: set[int] = set()
        else:
            start = min(m.doc.issued_at for m in items) - MARGIN
            end = max(m.doc.issued_at for m in items) + MARGIN
            at_ofd = {r.number for r in await client.receipts(kkt.reg_number, start, end)
                      if r.fn == fn}
        for m in items:
            if m.doc.number in at_ofd:
                found += 1
            elif now - m.doc.issued_at >= overdue_after:
                missing.append(m)
            else:
                waiting.append(m)
    return missing, waiting, found


def missing_event(m: Made, *, now: datetime, hours: float, locale: str) -> Event:
    d = m.doc
    when = f"{d.issued_at:%d.%m.%Y %H:%M}"
    data: dict[str, Any] = {"fn": d.fn, "fd": d.number, "fp": d.fiscal_sign, "key": m.key,
                            "register_number": d.register_number,
                            "issued_at": d.issued_at.isoformat()}
    return Event.of(site=m.site or "", kind=RECEIPT_MISSING,
                    source_key=f"ofd_missing:{d.fn}:{d.number}", occurred_at=now,
                    amount=d.total, order=str(d.number),
                    text=say("missing", locale, fd=d.number, fn=d.fn, when=when,
                             hours=f"{hours:g}"), data=data)
