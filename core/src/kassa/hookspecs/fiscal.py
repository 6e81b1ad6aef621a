"""Fiscal hooks: registers (ATOL, Shtrih-M, cloud) that print 54-FZ receipts and run shifts.

The core calls a ``FiscalDevice`` only through ``hub.fiscal``, which validates a receipt first
(``kassa.model.fiscal_rules.validate``: a register never sees a receipt that breaks a rule)
and runs each call through the action journal under its ``key``. A component therefore:

- treats ``key`` as the identity of the request (send it to the register when it can keep
  one, e.g. ATOL's request uuid or an external id) and never deduplicates on its own;
- answers ``lookup(key)`` after a crash or a timeout: the document an earlier call with this
  key produced, ``None`` if the register has no record of it (so nothing was printed and the
  core may send it again), or raises ``RetryLater`` if it cannot tell yet;
- maps the register's own errors to the shared ones, as below; the service maps them on.

Error mapping (situation: what the component raises -> what the fiscal service does):

- the receipt breaks a rule the register checks (sums, tags, a VAT rate this firmware lacks):
  ``UserError`` naming the tag and line (a ``ReceiptError`` when it can) -> the action fails
  and the text is shown;
- shift open longer than 24 h: ``UserError`` "close the shift" (``ReceiptError`` code
  ``shift_expired``) -> fails; the till closes the shift (Z) first;
- shift closed when a receipt is asked: ``UserError`` "open the shift" (code ``shift_closed``)
  -> fails (opening a shift is the cashier's act);
- paper out or cover open before the document was made: ``RetryLater`` -> the action stays
  pending, an alert goes out, the same key is retried;
- paper ran out after the FN made the document: no error, the ``FiscalDocument`` (it exists)
  with ``detail["not_printed"] = True`` -> done; the register finishes the print once paper
  is in (ATOL ``continuePrint``, Shtrih 0xB0);
- register busy, offline, or not answering before the request was sent: ``RetryLater(after=)``
  -> retried later with the same key;
- no answer after the request was sent: any other exception (a timeout, a broken link;
  never ``RetryLater``, which says nothing happened) -> the action is ``unknown`` and
  ``lookup(key)`` decides before anything is retried;
- FN full or expired, no FN, register not fiscalised, OFD backlog past 30 days:
  ``Permanent(reason)`` -> fails; card payments of the sale are cancelled;
- a call the register cannot do (text on a cloud register): ``Permanent(reason)`` -> fails;
- a marking code the FN / OISM rejects: no error, ``MarkingCheck(valid=False)`` -> the till
  refuses the item.

Shift totals are optional: a register that can read its own shift counters (ATOL
``getShiftTotals``, Shtrih-M cash and operational registers 0x1A / 0x1B) also implements
``ShiftTotalsReader``; a caller checks ``isinstance(dev, ShiftTotalsReader)`` and otherwise
has no counters to compare with. It is a question, like ``status()``: never journaled.
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import (
        Cashier,
        CorrectionReceipt,
        FiscalDocument,
        FiscalStatus,
        MarkingCheck,
        Receipt,
        ShiftTotals,
    )


@runtime_checkable
class FiscalDevice(Protocol):
    """A fiscal register. Every call that may print or fiscalise takes an idempotency ``key``
    and returns the ``FiscalDocument`` the register made."""

    name: str

    async def receipt(self, receipt: Receipt, key: str) -> FiscalDocument:
        """Print and fiscalise a cash receipt (form 3)."""
        ...

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        """A correction receipt (form 31)."""
        ...

    async def cash_in(self, amount: int, key: str,
                      cashier: Cashier | None = None) -> FiscalDocument:
        """Put cash into the drawer (внесение); a non-fiscal document."""
        ...

    async def cash_out(self, amount: int, key: str,
                       cashier: Cashier | None = None) -> FiscalDocument:
        """Take cash out of the drawer (выплата); a non-fiscal document."""
        ...

    async def open_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        """Open a shift (form 2)."""
        ...

    async def close_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        """Close the shift: the Z report (form 5)."""
        ...

    async def x_report(self, key: str) -> FiscalDocument:
        """Print the X report (counters, not fiscal)."""
        ...

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None) -> MarkingCheck:
        """Check a marking code (2000) for the planned status (2003, ``PlannedStatus``)
        before it is sold; ``quantity`` for measured goods. Prints nothing."""
        ...

    async def print_text(self, lines: Sequence[str], key: str) -> FiscalDocument:
        """Print non-fiscal text on the register (ATOL nonFiscal, Shtrih 0x17)."""
        ...

    async def status(self) -> FiscalStatus:
        """Ask the register about its shift, FN, paper and OFD backlog now."""
        ...

    async def lookup(self, key: str) -> FiscalDocument | None:
        """The document an earlier call with ``key`` produced; ``None`` if the register has
        no record of it (nothing happened); ``RetryLater`` if it cannot tell now."""
        ...


@runtime_checkable
class ShiftTotalsReader(Protocol):
    """A fiscal register that reports its own counters for the open shift (optional: kept
    apart from ``FiscalDevice`` so that registers without it stay valid devices)."""

    async def shift_totals(self) -> ShiftTotals:
        """The shift's counters as the register holds them now: receipts and sums per 1054
        operation and per payment kind it reports (kopecks), cash in / out. Prints nothing.
        With the shift closed: the counters of the last shift if the register still holds
        them, else zeros. Errors as ``status()``: ``RetryLater`` when it does not answer."""
        ...


@hookspec
def register_fiscal_devices(hub: HubAPI) -> Sequence[FiscalDevice]:
    """Called at start. Return fiscal registers (one per configured device; ``name`` is
    what ``[[stations]]`` refer to). May be async."""
