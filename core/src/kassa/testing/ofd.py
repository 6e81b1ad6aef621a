"""What an emulated FN transmits to an OFD, shared by the register emulators (test kit: an
emulator of any register may use it; no plugin imports another).

``header`` and ``receipt_fields`` build the FNS/OFD "ticket" JSON of fiscal.md §9 (camelCase,
kopecks, the register's wall clock without a zone, FFD form codes of §1.1) from neutral values,
so each emulator only says what its FN holds. ``OfdLink`` is the FN's exchange: the oldest
unconfirmed document first, one at a time, each ``delay`` seconds after the link first saw it,
POSTed to ``{url}/_sim/documents`` (the OFD emulator's intake; any OFD that takes §9 tickets
there will do - this module knows no OFD plugin). Only a 200 confirms a document; anything
else (no link, 5xx, a refusal) keeps it unsent, records why and retries after a wait that
doubles up to ``max_retry``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

import anyio
import httpx

URL_PATH = "/_sim/documents"
# FFD Table 11 form codes (fiscal.md §1.1)
SHIFT_OPEN, RECEIPT, SHIFT_CLOSE, SETTLEMENTS_REPORT, CORRECTION = 2, 3, 5, 21, 31
FORMAT_VERSION = 4  # 1209: FFD 1.2
# payment tag -> the ticket's sum (§9): cash, ecash, prepayment, postpayment (credit),
# counterSubmission (other)
PAYMENT_SUMS = {1031: "cashTotalSum", 1081: "ecashTotalSum", 1215: "prepaymentSum",
                1216: "postpaymentSum", 1217: "counterSubmissionSum"}


def header(*, code: int, user: str, user_inn: str, reg_number: str, fn: str, number: int,
           sign: int | str, at: datetime, shift: int) -> dict[str, Any]:
    """The fields every §9 ticket carries; ``at`` is the register's wall clock."""
    return {"code": code, "user": user, "userInn": user_inn, "kktRegId": reg_number,
            "fiscalDriveNumber": fn, "fiscalDocumentNumber": number,
            "fiscalSign": int(sign or 0), "dateTime": f"{at:%Y-%m-%dT%H:%M:%S}",
            "shiftNumber": shift, "fiscalDocumentFormatVer": FORMAT_VERSION}


def receipt_fields(*, operation: int, taxation: int, total: int, receipt_number: int | None,
                   sums: Mapping[int, int], items: Iterable[Mapping[str, Any]],
                   vat: Mapping[str, int] | None = None, operator: str | None = None,
                   buyer: str | None = None) -> dict[str, Any]:
    """A receipt's (or correction's) content: 1054, 1055 bit, 1020, the payment sums by tag
    (cash net of change, as the FN keeps 1031), the items already in §9 shape, the VAT
    amounts §9 names (``nds20``, ``nds10``), 1021 and 1008."""
    out: dict[str, Any] = {"operationType": operation, "requestNumber": receipt_number,
                           "taxationType": taxation, "totalSum": total}
    for tag, name in PAYMENT_SUMS.items():
        out[name] = int(sums.get(tag, 0))
    if operator:
        out["operator"] = operator
    if buyer:
        out["buyerAddress"] = buyer  # 1008
    out["items"] = [dict(i) for i in items]
    out.update(vat or {})
    return out


class Outbox(Protocol):
    """What ``OfdLink`` needs from an emulated FN."""

    def pending(self) -> tuple[int, Mapping[str, Any]] | None:
        """The oldest unconfirmed document as (FD number, §9 ticket); None when nothing
        waits or the register's own network is down."""
        ...

    def confirmed(self, number: int) -> None:
        """The OFD confirmed FD ``number`` (the OFD's receipt is in the FN)."""
        ...

    def failed(self, why: str) -> None:
        """The last exchange failed, and why (the register's OFD status reports it)."""
        ...


class OfdLink:
    """The FN's exchange with the OFD at ``url``; ``save`` is called after each confirmation
    (an emulator's state file). ``sent`` counts confirmed documents, ``attempts`` every POST."""

    def __init__(self, outbox: Outbox, url: str, *, delay: float = 0.0, retry: float = 1.0,
                 max_retry: float = 30.0, save: Callable[[], None] | None = None,
                 poll: float = 0.05) -> None:
        self.outbox, self.url = outbox, url.rstrip("/")
        self.delay, self.retry, self.max_retry = delay, retry, max_retry
        self.save, self.poll = save, poll
        self.sent = self.attempts = 0
        self._seen: dict[int, float] = {}  # FD -> when the link first saw it (monotonic)

    async def run(self) -> None:
        wait = self.retry
        async with httpx.AsyncClient(timeout=5.0) as http:
            while True:
                due = self._due()
                if due is None:
                    await anyio.sleep(self.poll)
                    continue
                why = await self._send(http, *due)
                if why is None:
                    wait = self.retry
                    continue
                self.outbox.failed(why)
                await anyio.sleep(wait)
                wait = min(wait * 2, self.max_retry)

    def _due(self) -> tuple[int, Mapping[str, Any]] | None:
        """The oldest unconfirmed document once its delay is over (None: nothing to send)."""
        head = self.outbox.pending()
        if head is None:
            return None
        first = self._seen.setdefault(head[0], time.monotonic())
        return head if time.monotonic() - first >= self.delay else None

    async def _send(self, http: httpx.AsyncClient, number: int, ticket: Mapping[str, Any]
                    ) -> str | None:
        """None when the OFD confirmed the document; otherwise why not."""
        self.attempts += 1
        try:
            r = await http.post(self.url + URL_PATH, json=dict(ticket))
        except httpx.HTTPError as exc:
            return f"no link to the OFD ({type(exc).__name__})"
        if r.status_code != 200:
            return f"the OFD answered HTTP {r.status_code}: {r.text[:200]}"
        self.outbox.confirmed(number)
        self._seen.pop(number, None)
        self.sent += 1
        if self.save is not None:
            self.save()
        return None


__all__ = ["PAYMENT_SUMS", "URL_PATH", "OfdLink", "Outbox", "header", "receipt_fields"]
