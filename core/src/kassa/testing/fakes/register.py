"""A reference fiscal register (``FiscalDevice``) faithful to what the core relies on:
counters like a real FN (the FD number grows with every fiscal document, the receipt number
per shift), the 24-hour shift rule, paper out, a full FN, and a record of every document by
its key for ``lookup``. It never deduplicates by itself: the journal does."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio

from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Operation,
    OperationTotals,
    Receipt,
    ShiftTotals,
)
from kassa.model.fiscal import ReceiptError
from kassa.testing.fakes.far import FarEnd

FN = "9999078900000961"
REG_NUMBER = "0000000001002292"
_SHIFT = {"open": False, "shift": 0, "fd": 0, "receipt_no": 0, "opened_at": None}


class FakeRegister:
    """``delay``: seconds a call waits before it acts (a crash there leaves no effect);
    ``answer_delay``: seconds it waits after acting, before answering (a crash there leaves
    the effect without an answer). ``drop_answers = n``: the next n calls act and then lose
    the answer (``ConnectionError``). ``paper_out``, ``fn_full``, ``offline`` inject faults."""

    def __init__(self, name: str = "fake-fr", *, path: str | Path | None = None,
                 clock: Any = None, delay: float = 0.0, answer_delay: float = 0.0) -> None:
        self.name = name
        self.far = FarEnd(path)
        self.clock = clock
        self.delay = delay
        self.answer_delay = answer_delay
        self.drop_answers = 0
        self.paper_out = False
        self.fn_full = False
        self.offline = False
        self.marking_valid = True

    # --- probes for tests -----------------------------------------------------------------
    def effects(self, kind: str | None = None) -> int:
        """How many documents the register produced (of ``kind``: receipt, shift_open...)."""
        return len(self.far.effects(kind))

    def documents(self) -> list[FiscalDocument]:
        return [codec.from_dict(b, FiscalDocument) for _, _, b in self.far.effects()]

    # --- FiscalDevice ---------------------------------------------------------------------
    async def receipt(self, receipt: Receipt, key: str) -> FiscalDocument:
        return await self._act(key, DocumentKind.RECEIPT, total=receipt.total,
                               operation=receipt.operation, needs_shift=True,
                               sums=receipt.sums())

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        return await self._act(key, DocumentKind.CORRECTION, total=correction.total,
                               operation=correction.operation, needs_shift=True)

    async def cash_in(self, amount: int, key: str,
                      cashier: Cashier | None = None) -> FiscalDocument:
        return await self._act(key, DocumentKind.CASH_IN, total=amount, needs_shift=True)

    async def cash_out(self, amount: int, key: str,
                       cashier: Cashier | None = None) -> FiscalDocument:
        if amount > self._state().get("cash", 0):
            raise UserError(f"not enough cash in the drawer to pay out {amount} kopecks")
        return await self._act(key, DocumentKind.CASH_OUT, total=amount, needs_shift=True)

    async def open_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        if self._state()["open"]:
            raise UserError("the shift is already open")
        return await self._act(key, DocumentKind.SHIFT_OPEN)

    async def close_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        if not self._state()["open"]:
            raise ReceiptError("shift_closed")
        return await self._act(key, DocumentKind.SHIFT_CLOSE)

    async def x_report(self, key: str) -> FiscalDocument:
        return await self._act(key, DocumentKind.X_REPORT)

    async def print_text(self, lines: Sequence[str], key: str) -> FiscalDocument:
        return await self._act(key, DocumentKind.TEXT, detail={"lines": list(lines)})

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None) -> MarkingCheck:
        self._reachable()
        return MarkingCheck(code=code, valid=self.marking_valid,
                            message=None if self.marking_valid else "code not in circulation")

    async def status(self) -> FiscalStatus:
        self._reachable()
        st = self._state()
        opened = _time(st["opened_at"])
        return FiscalStatus(shift_open=st["open"], shift=st["shift"] or None,
                            shift_opened_at=opened, shift_expired=self._expired(st),
                            fn=FN, fn_full=self.fn_full, paper_ok=not self.paper_out,
                            ready=not (self.paper_out or self.fn_full))

    async def shift_totals(self) -> ShiftTotals:
        """The shift's counters as an FN keeps them (1194): per 1054, count, total and the
        1031/1081/1215/1216/1217 sums of the receipts (corrections count in ``receipts``
        only, as 1133 keeps them apart); cash in / out and the drawer."""
        self._reachable()
        st = self._state()
        ops = {Operation(int(op)): OperationTotals(count=v[0], total=v[1], cash=v[2],
                                                   electronic=v[3], prepaid=v[4], credit=v[5],
                                                   other=v[6])
               for op, v in (st.get("totals") or {}).items()}
        return ShiftTotals(shift=st["shift"] or None, operations=ops,
                           receipts=st.get("receipts", 0), cash_in=st.get("cash_in", 0),
                           cash_out=st.get("cash_out", 0), cash_in_drawer=st.get("cash", 0))

    async def lookup(self, key: str) -> FiscalDocument | None:
        self._reachable()
        body = self.far.find(key)
        return None if body is None else codec.from_dict(body, FiscalDocument)

    # --- the register ---------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def _state(self) -> dict[str, Any]:
        return self.far.state("register", _SHIFT)

    def _expired(self, st: dict[str, Any]) -> bool:
        opened = _time(st["opened_at"])
        return bool(st["open"] and opened and self._now() - opened > timedelta(hours=24))

    def _reachable(self) -> None:
        if self.offline:  # nothing was sent: the journal may send it again
            raise RetryLater(f"register {self.name} does not answer", after=5)

    async def _act(self, key: str, kind: DocumentKind, *, total: int | None = None,
                   operation: Any = None, needs_shift: bool = False,
                   detail: dict[str, Any] | None = None,
                   sums: dict[int, int] | None = None) -> FiscalDocument:
        self._reachable()
        if self.delay:
            await anyio.sleep(self.delay)
        st = self._state()
        if kind.fiscal and self.fn_full:
            raise Permanent("the FN archive is full: replace the FN")
        if self.paper_out:
            raise RetryLater("paper out: load paper", after=10)
        if needs_shift and not st["open"]:
            raise ReceiptError("shift_closed")
        if needs_shift and self._expired(st):
            raise ReceiptError("shift_expired")
        now = self._now()
        if kind is DocumentKind.SHIFT_OPEN:
            st.update(open=True, shift=st["shift"] + 1, receipt_no=0, opened_at=now.isoformat(),
                      totals={}, receipts=0, cash_in=0, cash_out=0)
        elif kind is DocumentKind.SHIFT_CLOSE:
            st.update(open=False, opened_at=None)
        if kind is DocumentKind.CASH_IN:
            st["cash"] = st.get("cash", 0) + (total or 0)
            st["cash_in"] = st.get("cash_in", 0) + (total or 0)
        elif kind is DocumentKind.CASH_OUT:
            st["cash"] = st.get("cash", 0) - (total or 0)
            st["cash_out"] = st.get("cash_out", 0) + (total or 0)
        if kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION):
            st["receipts"] = st.get("receipts", 0) + 1
        if kind is DocumentKind.RECEIPT and sums is not None:
            op = int(operation)
            row = st.setdefault("totals", {}).setdefault(str(op), [0] * 7)
            row[0] += 1
            row[1] += total or 0
            for i, tag in enumerate((1031, 1081, 1215, 1216, 1217), start=2):
                row[i] += sums.get(tag, 0)
            # money comes in on a sale or a purchase refund, goes out on the other two
            cash = sums.get(1031, 0)
            st["cash"] = st.get("cash", 0) + (cash if op in (1, 4) else -cash)
        number = sign = receipt_no = None
        if kind.fiscal:
            st["fd"] += 1
            number = st["fd"]
            sign = _fiscal_sign(number, total or 0, now)
        if kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION):
            st["receipt_no"] += 1
            receipt_no = st["receipt_no"]
        doc = FiscalDocument(kind=kind, issued_at=now, number=number, fiscal_sign=sign, fn=FN,
                             register_number=REG_NUMBER, shift=st["shift"] or None,
                             receipt_number=receipt_no, total=total, operation=operation,
                             detail=detail or {})
        self.far.record(key, kind.value, doc, state=("register", st))
        if self.answer_delay:
            await anyio.sleep(self.answer_delay)
        if self.drop_answers:
            self.drop_answers -= 1
            raise ConnectionError(f"register {self.name}: the link dropped before the answer")
        return doc

    def close(self) -> None:
        self.far.close()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _fiscal_sign(number: int, total: int, at: datetime) -> str:
    """A 10-digit FPD from a deterministic HMAC, so test runs are reproducible."""
    mac = hmac.new(FN.encode(), f"{number}:{total}:{at.isoformat()}".encode(), hashlib.sha256)
    return str(int.from_bytes(mac.digest()[:5], "big") % 10**10).zfill(10)
