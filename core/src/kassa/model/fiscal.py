"""Fiscal receipts (54-FZ, FFD 1.2 tag names in comments) and what the register answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from kassa.model.money import qty


@frozen
class ReceiptLine:
    name: str  # 1030
    quantity: Decimal = field(converter=qty)  # 1023
    price: int  # 1079, kopecks
    vat: str = "none"  # 1199: none | vat0 | vat5 | vat7 | vat10 | vat20 | vat22 | vat110 | vat120
    payment_object: int = 1  # 1212: 1 = goods
    payment_method: int = 4  # 1214: 4 = full payment


@frozen
class ReceiptPayment:
    kind: str  # cash (1031) | electronic (1081) | prepaid (1215) | credit (1216)
    amount: int


@frozen
class Receipt:
    operation: str  # 1054: sell | sell_refund | buy | buy_refund
    lines: tuple[ReceiptLine, ...] = field(converter=tuple)
    payments: tuple[ReceiptPayment, ...] = field(converter=tuple)
    taxation: str = "osn"  # 1055
    customer_contact: str | None = None  # 1008
    cashier: str | None = None  # 1021


@frozen
class FiscalDocument:
    number: int  # 1040
    fiscal_sign: str  # 1077 (FPD)
    fn: str  # 1041
    shift: int  # 1038
    issued_at: datetime  # 1012
    total: int  # 1020


@frozen
class FiscalStatus:
    shift_open: bool
    shift: int | None = None
    unsent_documents: int = 0
    ready: bool = True
    message: str | None = None
