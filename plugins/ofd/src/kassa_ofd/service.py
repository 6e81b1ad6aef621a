"""The OFD service of one hub (kept in ``hub.state``): the client, the reconciliation job,
"was this receipt sent?" and a receipt as the OFD shows it. The HTTP routes (``api.py``) and
the CLI are thin shells over these functions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from attrs import frozen
from kassa.errors import UserError
from kassa.model import FiscalDocument

from kassa_ofd.client import OfdClient
from kassa_ofd.reconcile import Reconciled, made_between, missing_event, reconcile
from kassa_ofd.settings import OfdSettings
from kassa_ofd.wire import OfdReceipt

log = logging.getLogger(__name__)


@frozen(kw_only=True)
class SentStatus:
    """What the OFD knows of one fiscal document, for "was my receipt sent?"."""

    at_ofd: bool  # the OFD lists it (the register transmitted it)
    received_at: datetime | None  # when the OFD got it (UTC)
    # the account's tariff: the OFD mails / texts the buyer's copy (1008) itself; when False
    # the POS must send it (fiscal.md §1.6: never report "sent to buyer" on 1008 alone)
    ofd_delivers_email: bool
    ofd_delivers_sms: bool


class OfdService:
    def __init__(self, hub: Any, cfg: OfdSettings, *, client: OfdClient | None = None) -> None:
        self.hub = hub
        self.cfg = cfg
        self.tz = ZoneInfo(cfg.timezone)
        self.client = client or OfdClient(cfg, now=hub.clock.now)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def was_sent(self, doc: FiscalDocument) -> SentStatus:
        """Whether the OFD has ``doc`` (by FN + FD + FP, listed round its time)."""
        found = None
        if doc.fn and doc.number is not None:
            try:
                found = await self.client.find(doc.fn, doc.number, near=doc.issued_at,
                                               fiscal_sign=doc.fiscal_sign, days=1)
            except UserError:  # the OFD knows no register with this FN: nothing arrived
                found = None
        return SentStatus(at_ofd=found is not None,
                          received_at=found.received_at if found else None,
                          ofd_delivers_email=self.cfg.delivers_email,
                          ofd_delivers_sms=self.cfg.delivers_sms)

    async def receipt(self, fn: str, fd: int, *, near: datetime | None = None
                      ) -> tuple[OfdReceipt, dict[str, Any] | None] | None:
        """The OFD's list item and full document of FN + FD; None if the OFD has none."""
        try:
            found = await self.client.find(fn, fd, near=near, days=30 if near is None else 2)
        except UserError:  # no register with this FN at the OFD
            return None
        if found is None:
            return None
        return found, await self.client.document(found.reg_number, found.id)

    async def reconcile(self, since: datetime, until: datetime | None = None, *,
                        alert: bool = True) -> Reconciled:
        """Compare the journal's receipts of the period with the OFD; with ``alert``, emit
        one ``ofd_receipt_missing`` per overdue receipt (a repeat is a no-op)."""
        made = await made_between(self.hub.journal, since, until)
        now = self.hub.clock.now()
        hours = self.cfg.missing_after_hours
        missing, waiting, found = await reconcile(self.client, made, now=now,
                                                  overdue_after=timedelta(hours=hours))
        alerts = 0
        if alert:
            for m in missing:
                if await self.hub.emit(missing_event(m, now=now, hours=hours,
                                                     locale=self.cfg.locale)):
                    alerts += 1
        return Reconciled(checked=len(made), at_ofd=found, missing=tuple(missing),
                          waiting=tuple(waiting), alerts=alerts)

    async def run_forever(self) -> None:
        """The hub's job: reconcile the last ``reconcile_days`` every few minutes."""
        every = self.cfg.reconcile_every_minutes * 60
        while True:
            since = self.hub.clock.now() - timedelta(days=self.cfg.reconcile_days)
            try:
                r = await self.reconcile(since)
                if r.alerts:
                    log.warning("ofd: %d receipt(s) missing at the OFD", r.alerts)
            except Exception as exc:  # the OFD down, a refused login: try again next time
                log.warning("ofd: reconciliation failed: %s", exc)
            await anyio.sleep(every)


def service_for(hub: Any) -> OfdService:
    """The hub's one OFD service (created on first use)."""
    state = hub.state("kassa_ofd")
    if "service" not in state:
        state["service"] = OfdService(hub, hub.section("ofd", OfdSettings))
    svc: OfdService = state["service"]
    return svc
