"""Payment results: ledger accounts (bonus, deposit, credit) and bank card terminals.

Every call that produced a result carried an idempotency key, kept in the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from attrs import field, frozen


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"  # held: reserved, not yet taken
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    DECLINED = "declined"  # refused (not enough, unknown account): ``message`` says why


@frozen(kw_only=True)
class PaymentResult:
    """What an ``AccountPayment`` answered. ``id`` names the hold that capture, void and
    refund refer to (empty when declined)."""

    id: str
    status: PaymentStatus
    amount: int  # kopecks
    key: str
    message: str | None = None
    created_at: datetime | None = None  # when the operation was first done


class CardOperation(StrEnum):
    PURCHASE = "purchase"
    CANCEL = "cancel"  # same day, before reconciliation: the bank reverses the purchase
    REFUND = "refund"
    COMMIT = "commit"  # a suspended purchase becomes final (after the receipt)
    ROLLBACK = "rollback"  # a suspended purchase is undone (the receipt failed)


_PAN_DIGITS = 10  # a mask keeps at most the first 6 and the last 4 digits of a card number


@frozen(kw_only=True)
class CardResult:
    """What a bank terminal answered (Sber ``auth_answer``, Arcus, INPAS alike).

    ``approved`` with ``rcode`` "00"/"0" at Sber; a decline carries the bank's ``message``
    and usually a slip. ``suspended``: approved but waiting for ``commit`` or ``rollback``
    (Sber SuspendTrx); the bank cancels it by itself at its next session otherwise.
    ``card_mask`` is masked (never a full card number: it is stored in the journal)."""

    operation: CardOperation
    approved: bool
    amount: int  # kopecks
    key: str
    rcode: str = ""
    message: str | None = None  # the bank's text, shown to the cashier
    rrn: str | None = None  # retrieval reference number, 12 digits at Sber
    auth_code: str | None = None
    card_mask: str | None = None  # e.g. 220220******1234
    card_type: str | None = None  # MIR, VISA, MC...
    terminal_id: str | None = None
    txn_at: datetime | None = None
    txn_number: str | None = None
    slip: str = ""  # the slip text to print, lines separated by \n
    suspended: bool = False

    def __attrs_post_init__(self) -> None:
        if self.card_mask and len(re.sub(r"\D", "", self.card_mask)) > _PAN_DIGITS:
            raise ValueError("CardResult.card_mask must be masked (at most 6 + 4 digits)")


@frozen(kw_only=True)
class ReconciliationTotal:
    operation: str  # purchase | refund | cancel ... as the terminal groups them
    count: int
    amount: int  # kopecks
    card_type: str | None = None


def _totals(totals: Iterable[ReconciliationTotal]) -> tuple[ReconciliationTotal, ...]:
    return tuple(totals)  # typed: attrs' bare ``tuple`` converter leaves mypy a type variable


@frozen(kw_only=True)
class Reconciliation:
    """The end-of-day settlement with the bank (сверка итогов)."""

    slip: str
    at: datetime
    totals: tuple[ReconciliationTotal, ...] = field(default=(), converter=_totals)
    terminal_id: str | None = None


__all__ = [
    "CardOperation",
    "CardResult",
    "PaymentResult",
    "PaymentStatus",
    "Reconciliation",
    "ReconciliationTotal",
]
