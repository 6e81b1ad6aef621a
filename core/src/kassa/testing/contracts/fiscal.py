"""``FiscalDeviceContract``: what the core relies on from a fiscal register."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from kassa.errors import KassaError, RetryLater, UserError
from kassa.hookspecs.fiscal import ShiftTotalsReader
from kassa.journal import DONE, Journal
from kassa.model import (
    Cashier,
    FiscalDocument,
    FiscalStatus,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    ShiftTotals,
    TaxSystem,
    VatRate,
)
from kassa.testing.contracts.base import ComponentContract


def sample_receipt(total: int = 15000, *, at: datetime | None = None) -> Receipt:
    """A valid one-line cash receipt (fixed time by default: a retry is the same request)."""
    return Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN,
                   lines=[ReceiptLine(name="Чай", price=total, quantity=1, total=total,
                                      vat=VatRate.VAT22)],
                   payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)],
                   total=total, issued_at=at or datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


class FiscalDeviceContract(ComponentContract):
    """Subclass with ``make_device = staticmethod(factory)``; the factory returns a
    register with no shift open (or override ``prepare``)."""

    concern: ClassVar[str] = "fiscal"
    cashier = Cashier(name="Контракт")

    def receipt(self, total: int = 15000) -> Receipt:
        """The receipt the suite prints (override for a register with other rules)."""
        return sample_receipt(total)

    async def open_shift(self, reg: Any, journal: Journal) -> None:
        if not (await reg.status()).shift_open:
            await self.through(journal, reg, "open_shift", "contract-open",
                               lambda: reg.open_shift(self.cashier, key="contract-open"),
                               FiscalDocument)

    async def print_receipt(self, reg: Any, journal: Journal, key: str,
                            receipt: Receipt | None = None) -> FiscalDocument:
        r = receipt or self.receipt()
        return await self.through(journal, reg, "receipt", key,
                                  lambda: reg.receipt(r, key=key), FiscalDocument, request=r)

    async def status_of(self, reg: Any) -> FiscalStatus:
        st = await reg.status()
        assert isinstance(st, FiscalStatus)
        return st

    async def test_same_key_twice_makes_one_receipt(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (reg, journal):
            await self.open_shift(reg, journal)
            before = await self.effects(reg)
            first = await self.print_receipt(reg, journal, "r1")
            again = await self.print_receipt(reg, journal, "r1")
            assert first == again, "a retry must return the first document"
            assert await self.effects(reg) - before == 1, "same key twice: one receipt"
            other = await self.print_receipt(reg, journal, "r2")
            assert other.number != first.number, "each receipt gets its own FD number"

    async def test_lookup_finds_what_was_done(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (reg, journal):
            await self.open_shift(reg, journal)
            doc = await self.print_receipt(reg, journal, "r1")
            found = await reg.lookup("r1")
            assert isinstance(found, FiscalDocument), "lookup after success finds it"
            assert (found.number, found.fiscal_sign, found.total) == \
                (doc.number, doc.fiscal_sign, doc.total)

    async def test_lookup_of_an_unknown_key_is_none(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (reg, _):
            assert await reg.lookup("never-sent") is None

    async def test_lost_answer_is_reconciled_without_a_second_receipt(self, tmp_path: Path
                                                                       ) -> None:
        async with self.harness(tmp_path) as (reg, journal):
            await self.open_shift(reg, journal)
            before = await self.effects(reg)
            self.lose_answer(reg)
            with pytest.raises(RetryLater):
                await self.print_receipt(reg, journal, "r1")
            doc = await self.print_receipt(reg, journal, "r1")
            assert await self.effects(reg) - before == 1, "a retry after a lost answer" \
                " printed a second receipt: lookup(key) must find the first"
            assert (await journal.entry("r1")).status == DONE  # type: ignore[union-attr]
            assert doc.total == self.receipt().total

    async def test_cancelled_mid_call_resolves_to_one_receipt(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (reg, journal):
            await self.open_shift(reg, journal)
            before = await self.effects(reg)
            self.slow(reg, 1.0)
            with anyio.move_on_after(0.2):
                await self.print_receipt(reg, journal, "r1")
            self.slow(reg, 0.0)
            await self.print_receipt(reg, journal, "r1")
            assert await self.effects(reg) - before == 1

    async def test_receipt_with_the_shift_closed_is_a_user_error(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (reg, journal):
            if (await reg.status()).shift_open:
                await self.through(journal, reg, "close_shift", "contract-close",
                                   lambda: reg.close_shift(self.cashier, key="contract-close"),
                                   FiscalDocument)
            before = await self.effects(reg)
            with pytest.raises(UserError):
                await self.print_receipt(reg, journal, "r1")
            assert await self.effects(reg) == before, "a refused receipt has no effect"

    async def test_shift_open_close_and_status_are_typed(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (reg, journal):
            st = await reg.status()
            assert isinstance(st, FiscalStatus)
            await self.open_shift(reg, journal)
            st = await reg.status()
            assert isinstance(st, FiscalStatus) and st.shift_open
            z = await self.through(journal, reg, "close_shift", "z1",
                                   lambda: reg.close_shift(self.cashier, key="z1"),
                                   FiscalDocument)
            assert isinstance(z, FiscalDocument) and z.kind == "shift_close"
            assert not (await reg.status()).shift_open

    async def test_errors_are_the_shared_ones(self, tmp_path: Path) -> None:
        """Whatever a register refuses, it says so with kassa.errors, not its own types."""
        async with self.harness(tmp_path) as (reg, journal):
            await self.open_shift(reg, journal)
            try:
                await reg.open_shift(self.cashier, key="contract-open-again")
            except KassaError:
                pass
            except Exception as exc:  # pragma: no cover - the failure being tested
                pytest.fail(f"open_shift on an open shift raised {type(exc).__name__}, "
                            "not one of kassa.errors")

    async def test_shift_totals_count_what_was_fiscalised(self, tmp_path: Path) -> None:
        """Only for a register that is a ``ShiftTotalsReader``: its counters move by exactly
        the receipts it made (count, total, cash), and nothing else changes them."""
        async with self.harness(tmp_path) as (reg, journal):
            if not isinstance(reg, ShiftTotalsReader):
                pytest.skip("this register reports no shift totals")
            totals: ShiftTotalsReader = reg
            await self.open_shift(reg, journal)
            before = await totals.shift_totals()
            assert isinstance(before, ShiftTotals)
            await self.status_of(reg)  # a question moves no counter
            assert await totals.shift_totals() == before
            r = self.receipt()
            await self.print_receipt(reg, journal, "t1")
            await self.print_receipt(reg, journal, "t1")  # the journal's retry: no second one
            after = await totals.shift_totals()
            was, now = before.of(Operation.SELL), after.of(Operation.SELL)
            assert now is not None, "a register with shift totals reports sales"
            assert now.count - (was.count if was else 0) == 1
            assert now.total - (was.total if was else 0) == r.total
            cash = r.sums()[PaymentKind.CASH.tag]
            if now.cash is not None:
                assert now.cash - ((was.cash or 0) if was else 0) == cash
            for op, counted in after.operations.items():
                if op is not Operation.SELL:
                    assert counted == before.of(op) or counted.count == 0
