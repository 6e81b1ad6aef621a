"""A training register: fiscal documents are "printed" to a paper-tape text file and kept,
by idempotency key, in a JSON-lines archive beside it (the FN of this register), so
``lookup(key)`` can answer after a crash. It numbers documents like an FN does and keeps
the 24-hour shift rule. It never deduplicates by itself: the core's journal does."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
from attrs import define
from kassa import codec
from kassa.errors import RetryLater, UserError
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Receipt,
)

FN = "7380440700000001"


@define
class TapeSettings:
    """``[register]`` in kassa.toml."""

    tape: str = ""  # the paper-tape file; empty: no register
    name: str = "training"  # what [[stations]] fiscal = "..." refers to


class TapeRegister:
    def __init__(self, name: str, tape: Path, *, clock: Any = None,
                 print_delay: float = 0.0) -> None:
        self.name = name
        self.tape = tape
        self.archive = tape.with_suffix(".fn.jsonl")
        self.clock = clock
        self.print_delay = print_delay  # seconds the print head takes per document

    # --- what the register knows ------------------------------------------------------
    def documents(self) -> list[tuple[str, FiscalDocument]]:
        if not self.archive.exists():
            return []
        out = []
        for line in self.archive.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out.append((row["key"], codec.from_dict(row["doc"], FiscalDocument)))
        return out

    def effects(self) -> int:
        return len(self.documents())

    def _shift(self) -> tuple[bool, int, datetime | None, int]:
        """(open, shift number, opened at, receipts in the shift) from the archive."""
        open_, shift, opened, receipts = False, 0, None, 0
        for _, d in self.documents():
            if d.kind == DocumentKind.SHIFT_OPEN:
                open_, shift, opened, receipts = True, d.shift or 0, d.issued_at, 0
            elif d.kind == DocumentKind.SHIFT_CLOSE:
                open_, opened = False, None
            elif d.kind in (DocumentKind.RECEIPT, DocumentKind.CORRECTION):
                receipts += 1
        return open_, shift, opened, receipts

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def _tape_writable(self) -> None:
        if not self.tape.parent.is_dir():  # the printer is "offline": nothing was sent
            raise RetryLater(f"register {self.name}: no tape folder {self.tape.parent}")

    async def _print(self, key: str, kind: DocumentKind, lines: Sequence[str], *,
                     total: int | None = None, operation: Any = None,
                     needs_shift: bool = True) -> FiscalDocument:
        self._tape_writable()
        open_, shift, opened, receipts = self._shift()
        now = self._now()
        if needs_shift and not open_:
            raise UserError("the shift is closed: open the shift")
        if needs_shift and opened and now - opened > timedelta(hours=24):
            raise UserError("the shift has been open for more than 24 hours: close the shift")
        if kind == DocumentKind.SHIFT_OPEN:
            if open_:
                raise UserError("the shift is already open")
            shift += 1
        fiscal = kind.fiscal
        number = sum(1 for _, d in self.documents() if d.kind.fiscal) + 1 if fiscal else None
        doc = FiscalDocument(
            kind=kind, issued_at=now, number=number, fn=FN, shift=shift or None,
            fiscal_sign=_sign(key, number) if fiscal else None,
            receipt_number=receipts + 1 if kind == DocumentKind.RECEIPT else None,
            total=total, operation=operation)
        if self.print_delay:
            await anyio.sleep(self.print_delay)
        with self.tape.open("a", encoding="utf-8") as f:
            f.write("\n".join([f"--- {kind.value} #{number or '-'} {now:%d.%m.%Y %H:%M}",
                               *lines, ""]))
        with self.archive.open("a", encoding="utf-8") as f:  # the FN: written last
            f.write(json.dumps({"key": key, "doc": codec.to_dict(doc)}) + "\n")
        return doc

    # --- FiscalDevice -----------------------------------------------------------------
    async def receipt(self, receipt: Receipt, key: str) -> FiscalDocument:
        lines = [f"{ln.name} {ln.quantity} x {ln.price / 100:.2f} = {ln.total / 100:.2f}"
                 for ln in receipt.lines] + [f"ИТОГ {receipt.total / 100:.2f}"]
        return await self._print(key, DocumentKind.RECEIPT, lines, total=receipt.total,
                                 operation=receipt.operation)

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        return await self._print(key, DocumentKind.CORRECTION,
                                 [f"КОРРЕКЦИЯ {correction.total / 100:.2f}"],
                                 total=correction.total, operation=correction.operation)

    async def cash_in(self, amount: int, key: str,
                      cashier: Cashier | None = None) -> FiscalDocument:
        return await self._print(key, DocumentKind.CASH_IN, [f"ВНЕСЕНИЕ {amount / 100:.2f}"],
                                 total=amount)

    async def cash_out(self, amount: int, key: str,
                       cashier: Cashier | None = None) -> FiscalDocument:
        return await self._print(key, DocumentKind.CASH_OUT, [f"ВЫПЛАТА {amount / 100:.2f}"],
                                 total=amount)

    async def open_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        return await self._print(key, DocumentKind.SHIFT_OPEN, [f"Кассир {cashier.name}"],
                                 needs_shift=False)

    async def close_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        return await self._print(key, DocumentKind.SHIFT_CLOSE, [f"Кассир {cashier.name}"])

    async def x_report(self, key: str) -> FiscalDocument:
        return await self._print(key, DocumentKind.X_REPORT, ["X-ОТЧЁТ"], needs_shift=False)

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None) -> MarkingCheck:
        return MarkingCheck(code=code, valid=True, message="training register: not checked")

    async def print_text(self, lines: Sequence[str], key: str) -> FiscalDocument:
        return await self._print(key, DocumentKind.TEXT, list(lines), needs_shift=False)

    async def status(self) -> FiscalStatus:
        open_, shift, opened, _ = self._shift()
        expired = bool(open_ and opened and self._now() - opened > timedelta(hours=24))
        return FiscalStatus(shift_open=open_, shift=shift or None, shift_opened_at=opened,
                            shift_expired=expired, fn=FN, ready=self.tape.parent.is_dir())

    async def lookup(self, key: str) -> FiscalDocument | None:
        return next((d for k, d in self.documents() if k == key), None)


def _sign(key: str, number: int | None) -> str:
    """A 10-digit fiscal sign (a real FN computes it with its key; here: a digest)."""
    digest = hashlib.sha256(f"{FN}:{key}:{number}".encode()).digest()
    return f"{int.from_bytes(digest[:5], 'big') % 10**10:010d}"
