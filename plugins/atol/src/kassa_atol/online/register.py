"""``AtolOnlineRegister``: a ``FiscalDevice`` over ATOL Online v5 (a cloud register).

Identity: the journal key becomes the v5 ``external_id`` (``wire.external_id``), which ATOL
keeps per group: a repeat is answered with error 33 and the first document's uuid, so a
retry never makes a second receipt. ``lookup(key)`` uses what ``SentLog`` recorded:

- nothing sent under the key -> ``None``;
- a uuid -> ``report/{uuid}``: done -> the document, wait -> ``RetryLater``, fail -> ``None``;
- sent, answer lost (no uuid) -> the *same* body again (same external_id, same timestamp):
  v5 has no "find by external_id", and error 33 is its documented way to learn the uuid of
  a request it already has. A request ATOL never received is made by that repeat: the
  document the key asked for, still only one.

Shifts, X reports, text, cash in/out and marking checks do not exist in v5 (fiscal.md
§2.4): ``Permanent`` with the reason."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
from kassa.errors import KassaError, Permanent, RetryLater, UserError
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Receipt,
    TaxSystem,
)

from kassa_atol.online import codes, wire
from kassa_atol.online.client import OnlineClient, Unanswered
from kassa_atol.online.sent import ACCEPTED, FAILED, SENDING, Sent, SentLog
from kassa_atol.online.settings import SNO, OnlineSettings
from kassa_atol.online.texts import no_call, say

log = logging.getLogger(__name__)


class AtolOnlineRegister:
    def __init__(self, name: str, settings: OnlineSettings, clock: Any = None, *,
                 data_dir: Path | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = name
        self.cfg = settings
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.client = OnlineClient(settings, clock, transport)
        self.sent = SentLog(settings.state_path(data_dir))  # data_dir: the hub's
        self.last_document: FiscalDocument | None = None

    async def stop(self) -> None:
        await self.client.aclose()

    # --- documents -----------------------------------------------------------------------
    async def receipt(self, receipt: Receipt, key: str) -> FiscalDocument:
        if receipt.total <= 0:  # all change, no payment left to send (v5 needs one)
            raise UserError(say("zero", self.cfg.locale))
        self._check_sno(receipt.taxation)
        attempt, prev = self._attempt(key)
        op, body = wire.receipt_body(receipt, self.cfg, wire.external_id(key, attempt),
                                     self.tz)
        return await self._make(key, attempt, op, body, prev)

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        if correction.operation not in wire.CORRECTION_OPS:
            raise Permanent(say("refund_correction", self.cfg.locale))
        if not correction.lines:
            raise UserError(say("no_items", self.cfg.locale))
        self._check_sno(correction.taxation)
        attempt, prev = self._attempt(key)
        op, body = wire.correction_body(correction, self.cfg,
                                        wire.external_id(key, attempt), self.tz)
        return await self._make(key, attempt, op, body, prev)

    def _check_sno(self, taxation: TaxSystem) -> None:
        # a wrong 1055 is a fiscal error, never "corrected" by config: refuse it
        if self.cfg.sno and SNO.get(self.cfg.sno) != taxation:
            raise UserError(say("sno", self.cfg.locale, sno=self.cfg.sno,
                                got=wire.SNO_NAMES.get(taxation, str(int(taxation)))))

    def _attempt(self, key: str) -> tuple[int, Sent | None]:
        prev = self.sent.get(key)
        if prev is None:
            return 1, None
        if prev.state == FAILED:  # that external_id is spent (code 1: "a new one")
            return prev.attempt + 1, None
        return prev.attempt, prev

    async def _make(self, key: str, attempt: int, op: str, body: dict[str, Any],
                    prev: Sent | None) -> FiscalDocument:
        if prev is not None:
            # sent before and never reconciled: the same request again, not a new one
            sent = prev
        else:
            sent = Sent(key=key, attempt=attempt, external_id=str(body["external_id"]),
                        op=op, body=body)
            self.sent.put(sent)  # before it leaves: a crash now is found by lookup
        if sent.uuid is None:
            await self._post(sent)
        return await self._wait(sent)

    async def _post(self, sent: Sent) -> None:
        # a refusal leaves the row "sending": only a ``fail`` report spends an external_id
        # (sending the same one again is always safe; a new one might make a second document)
        accepted = await self.client.post(sent.op, sent.body)
        sent.uuid, sent.state = accepted.uuid, ACCEPTED
        self.sent.put(sent)
        if accepted.duplicate:
            log.info("ATOL Online %s: %s already had external_id %s (uuid %s)", self.name,
                     sent.op, sent.external_id, accepted.uuid)

    async def _wait(self, sent: Sent, budget: float | None = None) -> FiscalDocument:
        """Poll report/{uuid} until done or fail, at most ``budget`` seconds."""
        assert sent.uuid is not None
        budget = self.cfg.wait_timeout if budget is None else budget
        with anyio.move_on_after(budget):
            while True:
                report = await self.client.report(sent.uuid)
                if report["status"] == "done":
                    doc = wire.document(report, sent.op, self.tz)
                    self.last_document = doc
                    return doc
                if report["status"] == "fail":
                    self._failed(sent)
                    raise self._fail_error(report.get("error") or {})
                await anyio.sleep(self.cfg.poll_interval)
        raise Unanswered(f"{sent.op} {sent.external_id}: still 'wait' after "
                         f"{budget:g} s (uuid {sent.uuid})")

    def _failed(self, sent: Sent) -> None:
        sent.state = FAILED
        self.sent.put(sent)

    def _fail_error(self, err: dict[str, Any]) -> KassaError:
        code, text = err.get("code"), str(err.get("text") or "").rstrip(".")
        if code == codes.PROCESSING_FAILED:  # try again under a new external_id
            return RetryLater(say("failed", self.cfg.locale, text=text))
        if code in (codes.VALIDATION, codes.BAD_REQUEST):
            return self.client.refusal(400, err)
        return Permanent(say("failed", self.cfg.locale, text=f"{code} {text}"))

    # --- reconciliation ------------------------------------------------------------------
    async def lookup(self, key: str) -> FiscalDocument | None:
        sent = self.sent.get(key)
        if sent is None or sent.state == FAILED:
            return None  # nothing under this key, or ATOL said it made nothing
        if sent.state == SENDING:
            try:
                await self._post(sent)  # same external_id: 33 answers with the uuid
            except UserError:
                return None  # refused: it was never made
            except Unanswered as exc:
                raise RetryLater(str(exc)) from exc
        try:  # bounded: at start the journal reconciles every unknown row in turn
            return await self._wait(sent, self.cfg.lookup_timeout)
        except Unanswered as exc:
            raise RetryLater(str(exc), after=self.cfg.poll_interval) from exc
        except (UserError, Permanent, RetryLater):
            if sent.state == FAILED:
                return None  # fail: no document under this key
            raise

    # --- what a cloud register cannot do -------------------------------------------------
    def _cannot(self, call: str) -> Permanent:
        return Permanent(no_call(call, self.cfg.locale))

    async def cash_in(self, amount: int, key: str,
                      cashier: Cashier | None = None) -> FiscalDocument:
        raise self._cannot("cash_in")

    async def cash_out(self, amount: int, key: str,
                       cashier: Cashier | None = None) -> FiscalDocument:
        raise self._cannot("cash_out")

    async def open_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        raise self._cannot("open_shift")

    async def close_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        raise self._cannot("close_shift")

    async def x_report(self, key: str) -> FiscalDocument:
        raise self._cannot("x_report")

    async def print_text(self, lines: Sequence[str], key: str) -> FiscalDocument:
        raise self._cannot("print_text")

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None) -> MarkingCheck:
        raise self._cannot("check_marking")

    async def status(self) -> FiscalStatus:
        """What a cloud register lets us know: whether a token can be had now, the last
        error, the shift and FN of the last document. Shifts are ATOL's: always "open"."""
        ready, message = True, self.client.last_error
        try:
            await self.client.token()
        except KassaError as exc:
            ready, message = False, str(exc)
        last = self.last_document
        return FiscalStatus(shift_open=True, shift=last.shift if last else None,
                            fn=last.fn if last else None, ready=ready, message=message)
