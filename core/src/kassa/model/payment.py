"""Payment results: every call carries an idempotency key."""

from __future__ import annotations

from enum import StrEnum

from attrs import frozen


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    DECLINED = "declined"


@frozen
class PaymentResult:
    id: str
    status: PaymentStatus
    amount: int  # kopecks
    key: str
    message: str | None = None
