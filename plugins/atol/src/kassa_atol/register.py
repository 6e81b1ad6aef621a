"""``AtolRegister``: a ``FiscalDevice`` on the ATOL Web Server. It never deduplicates: the
journal key goes to the Web Server as the request uuid (``webserver.request_uuid``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import anyio
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Operation,
    Receipt,
    ShiftTotals,
)

from kassa_atol import tasks
from kassa_atol.settings import RegisterSettings
from kassa_atol.texts import say
from kassa_atol.webserver import WebServerClient, failure, find, perform

# task type -> (document kind, 1054) for lookup
KINDS: dict[str, tuple[DocumentKind, Operation | None]] = {
    **{t: (DocumentKind.RECEIPT, op) for op, t in tasks.SELL_TYPES.items()},
    **{t: (DocumentKind.CORRECTION, op) for op, t in tasks.CORRECTION_TYPES.items()},
    "openShift": (DocumentKind.SHIFT_OPEN, None), "closeShift": (DocumentKind.SHIFT_CLOSE, None),
    "reportX": (DocumentKind.X_REPORT, None), "cashIn": (DocumentKind.CASH_IN, None),
    "cashOut": (DocumentKind.CASH_OUT, None), "nonFiscal": (DocumentKind.TEXT, None),
}
MARKING_POLLS = 50  # getMarkingCodeValidationStatus rounds before the check counts as failed


class AtolRegister:
    """One register behind an ATOL Web Server, configured by ``[[atol.registers]]``."""

    def __init__(self, name: str, settings: RegisterSettings, *, clock: Any = None,
                 locale: str = "ru") -> None:
        self.name = name
        self.settings = settings
        self.clock = clock
        self.locale = locale
        auth = (settings.login, settings.password.reveal()) if settings.login else None
        self.client = WebServerClient(settings.url, register=name, locale=locale,
                                      device_id=settings.device_id, auth=auth,
                                      poll_interval=settings.poll_interval,
                                      timeout=settings.timeout,
                                      connect_timeout=settings.connect_timeout)

    async def start(self) -> None:
        pass  # the HTTP client opens on first use; a Web Server down is RetryLater then

    async def stop(self) -> None:
        await self.client.close()

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    async def _doc(self, key: str, task: dict[str, Any], *, amount: int | None = None
                   ) -> FiscalDocument:
        result = await perform(self.client, key, task)
        kind, operation = KINDS[task["type"]]
        return tasks.document(kind, result, now=self._now(), operation=operation,
                              amount=amount)

    # --- FiscalDevice -----------------------------------------------------------------
    async def receipt(self, receipt: Receipt, key: str) -> FiscalDocument:
        return await self._doc(key, tasks.receipt_task(receipt, self.settings.cashier),
                               amount=receipt.total)

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        return await self._doc(key, tasks.correction_task(correction, self.settings.cashier),
                               amount=correction.total)

    async def cash_in(self, amount: int, key: str,
                      cashier: Cashier | None = None) -> FiscalDocument:
        return await self._doc(key, tasks.cash_task("cashIn", amount, cashier,
                                                    self.settings.cashier), amount=amount)

    async def cash_out(self, amount: int, key: str,
                       cashier: Cashier | None = None) -> FiscalDocument:
        return await self._doc(key, tasks.cash_task("cashOut", amount, cashier,
                                                    self.settings.cashier), amount=amount)

    async def open_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        return await self._doc(key, tasks.shift_task("openShift", cashier))

    async def close_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        return await self._doc(key, tasks.shift_task("closeShift", cashier))

    async def x_report(self, key: str) -> FiscalDocument:
        return await self._doc(key, tasks.shift_task("reportX", None, self.settings.cashier))

    async def print_text(self, lines: Sequence[str], key: str) -> FiscalDocument:
        doc = await self._doc(key, tasks.text_task(lines))
        return FiscalDocument(kind=doc.kind, issued_at=doc.issued_at,
                              detail={**doc.detail, "lines": list(lines)})

    async def continue_print(self, key: str) -> None:
        """Finish a document the paper ran out on (``detail["not_printed"]``)."""
        await perform(self.client, key, {"type": "continuePrint"})

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None) -> MarkingCheck:
        params = tasks.marking_params(code, planned_status, quantity)
        await self._query({"type": "beginMarkingCodeValidation", "params": params})
        for _ in range(MARKING_POLLS):
            st = await self._query({"type": "getMarkingCodeValidationStatus"})
            if st.get("ready"):
                check = tasks.marking(code, st)
                await self._query({"type": "acceptMarkingCode" if check.valid
                                   else "declineMarkingCode"})
                return check
            await anyio.sleep(self.settings.poll_interval)
        await self._query({"type": "cancelMarkingCodeValidation"})
        return MarkingCheck(code=code, valid=False,
                            message=say("atol.marking_timeout", self.locale))

    async def _query(self, task: dict[str, Any]) -> dict[str, Any]:
        """A question (status, marking): a fresh uuid each time, nothing to deduplicate."""
        _, results = await self.client.run(str(uuid.uuid4()), [task])
        failed = failure(results[0])
        if failed is not None:
            raise failed.error(self.name, self.locale) from failed
        return dict(results[0].get("result") or {})

    async def status(self) -> FiscalStatus:
        _, results = await self.client.run(str(uuid.uuid4()), tasks.STATUS_TASKS)
        for r in results:
            failed = failure(r)
            if failed is not None:
                raise failed.error(self.name, self.locale) from failed
        return tasks.status([r.get("result") or {} for r in results])

    async def shift_totals(self) -> ShiftTotals:
        """The shift's counters (``getShiftTotals``, fiscal.md §2.1): a question, prints
        nothing (``ShiftTotalsReader``)."""
        return tasks.shift_totals(await self._query({"type": "getShiftTotals"}))

    async def lookup(self, key: str) -> FiscalDocument | None:
        hit = await find(self.client, key, list(KINDS), wait=self.settings.lookup_wait)
        if hit is None:
            return None
        task_type, result = hit
        kind, operation = KINDS[task_type]
        return tasks.document(kind, result, now=self._now(), operation=operation)
