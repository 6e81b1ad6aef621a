"""What driver v10 checks in a receipt task before the register makes anything (fiscal.md
§2.1 schema, §12 "validation identical to the driver"): required fields, enum values, the
1008 format, sums (price x quantity within a kopeck, total = the items, payments cover the
total and only cash exceeds it) and the VAT rates the emulated firmware has on its date.
Each failure is ``Refusal(code)`` with the driver's code; its text is the driver's."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from kassa_atol.codes import DriverError as E
from kassa_atol.codes import text

TAXATION = {"osn", "usnIncome", "usnIncomeOutcome", "envd", "esn", "patent"}
PAYMENT_TYPES = {"cash", "electronically", "prepaid", "credit", "other",
                 "5", "6", "7", "8", "9"}  # + the user types 5-9
PAYMENT_METHODS = {"fullPrepayment", "prepayment", "advance", "fullPayment", "partialPayment",
                   "credit", "creditPayment"}
PAYMENT_OBJECTS = set(
    "commodity excise job service gamblingBet gamblingPrize lottery lotteryPrize "
    "intellectualActivity payment agentCommission composite another proprietaryLaw "
    "nonOperatingIncome insuranceContributions merchantTax resortFee deposit consumption "
    "soleProprietorCPIContributions cpiContributions soleProprietorCMIContributions "
    "cmiContributions csiContributions casinoPayment fundsIssuance exciseWithoutMarking "
    "exciseWithMarking commodityWithoutMarking commodityWithMarking".split())
UNITS = {0, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 70, 71, 72, 73,
         80, 81, 82, 83, 255}
ITEM_TYPES = {"position", "text", "barcode", "userAttribute", "additionalAttribute",
              "pictureFromMemory", "pixels"}
NOMENCLATURE = {"furs", "medicines", "tobacco", "shoes"}  # ATOL-RPC nomenclature-code.ts
TAXES = {"none", "vat0", "vat10", "vat110", "vat20", "vat120", "vat5", "vat105", "vat7",
         "vat107", "vat22", "vat122"}
OLD_RATES = {"vat20", "vat120"}  # end 2025-12-31 (425-FZ)
NEW_RATES = {"vat22", "vat122"}  # firmware with FFD amended by ЕД-7-20/1050@ only
USN_RATES = {"vat5", "vat105", "vat7", "vat107"}  # from 2025-01-01
PHONE = re.compile(r"\+\d{7,15}")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
KOP = Decimal("0.01")


class Refusal(Exception):
    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(text(code) + (f" ({detail})" if detail else ""))

    @property
    def description(self) -> str:
        return text(self.code) + (f" ({self.detail})" if self.detail else "")


def money(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Refusal(E.INVALID_PARAM, field)
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise Refusal(E.INVALID_PARAM, field) from None
    if d < 0 or not d.is_finite():
        raise Refusal(E.INVALID_SUM, field)
    return d


def need(task: Mapping[str, Any], field: str) -> Any:
    if field not in task or task[field] is None:
        raise Refusal(E.NO_REQUIRED_PARAM, field)
    return task[field]


def contact(value: Any) -> None:
    if not isinstance(value, str) or not (PHONE.fullmatch(value) or EMAIL.fullmatch(value)):
        raise Refusal(E.INVALID_PARAM, "clientInfo.emailOrPhone (1008)")


def rate_allowed(tax: str, *, today: date, vat22_from: date, refund: bool) -> bool:
    """The firmware's rates on its date: 22 % only from ``vat22_from``; 20 % not after it on a
    sale (a refund or a correction may still refer to a 2025 settlement)."""
    if tax in NEW_RATES:
        return today >= vat22_from
    if tax in OLD_RATES:
        return refund or today < vat22_from
    if tax in USN_RATES:
        return today >= date(2025, 1, 1)
    return tax in TAXES


def receipt(task: Mapping[str, Any], *, today: date, vat22_from: date,
            correction: bool = False) -> dict[str, Any]:
    """Check a sell/buy/return/correction task; the sums it registers (Decimal rubles)."""
    taxation = need(task, "taxationType")
    if taxation not in TAXATION:
        raise Refusal(E.INVALID_TAXATION_TYPE, str(taxation))
    refund = "Return" in str(task["type"]) or correction
    if correction:
        if need(task, "correctionType") not in ("self", "instruction"):
            raise Refusal(E.INVALID_PARAM, "correctionType")
        base = need(task, "correctionBaseDate")
        if not isinstance(base, str) or not re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", base):
            raise Refusal(E.INVALID_PARAM, "correctionBaseDate")
        if task["correctionType"] == "instruction" and not task.get("correctionBaseNumber"):
            raise Refusal(E.NO_REQUIRED_FISCAL_PROPERTY, "correctionBaseNumber (1179)")
    client = task.get("clientInfo") or {}
    if not isinstance(client, Mapping):
        raise Refusal(E.INVALID_PARAM, "clientInfo")
    if client.get("emailOrPhone") is not None:
        contact(client["emailOrPhone"])
    if task.get("electronically") and not client.get("emailOrPhone"):
        raise Refusal(E.NO_REQUIRED_FISCAL_PROPERTY, "clientInfo.emailOrPhone (1008)")
    op = task.get("operator")
    if op is not None and (not isinstance(op, Mapping) or not op.get("name")):
        raise Refusal(E.NO_REQUIRED_PARAM, "operator.name")
    items = need(task, "items")
    if not isinstance(items, list):
        raise Refusal(E.INVALID_PARAM, "items")
    found = [position(n, it, today=today, vat22_from=vat22_from, refund=refund)
             for n, it in enumerate(items, 1)]
    amounts = [a for a in found if a is not None]
    if not amounts and not correction:
        raise Refusal(E.NO_REQUIRED_PARAM, "items[type=position]")
    pays = need(task, "payments")
    if not isinstance(pays, list) or not pays:
        raise Refusal(E.NO_REQUIRED_PARAM, "payments")
    paid = cash = Decimal(0)
    for n, p in enumerate(pays, 1):
        if not isinstance(p, Mapping) or str(p.get("type")) not in PAYMENT_TYPES:
            raise Refusal(E.INVALID_PARAM, f"payments[{n}].type")
        s = money(need(p, "sum"), f"payments[{n}].sum")
        paid += s
        if p["type"] == "cash":
            cash += s
    items_total = sum(amounts, Decimal(0))
    total = money(task["total"], "total") if task.get("total") is not None else items_total
    if amounts and abs(total - items_total) >= KOP:
        raise Refusal(E.INVALID_TOTAL, f"total {total} != items {items_total}")
    if paid < total:
        raise Refusal(E.NOT_FULLY_PAID, f"paid {paid} < total {total}")
    if paid - cash > total:
        raise Refusal(E.NONCASH_PAYMENTS_TOO_MUCH)
    return {"total": total, "paid": paid, "cash": cash, "change": paid - total}


def position(n: int, it: Any, *, today: date, vat22_from: date, refund: bool
             ) -> Decimal | None:
    where = f"items[{n}]"
    if not isinstance(it, Mapping) or it.get("type") not in ITEM_TYPES:
        raise Refusal(E.INVALID_PARAM, f"{where}.type")
    if it["type"] != "position":
        return None
    name = need(it, "name")
    if not isinstance(name, str) or not 0 < len(name) <= 128:
        raise Refusal(E.INVALID_PARAM, f"{where}.name (1030)")
    price = money(need(it, "price"), f"{where}.price")
    qty_raw = need(it, "quantity")
    if isinstance(qty_raw, bool) or not isinstance(qty_raw, (int, float)) or qty_raw <= 0:
        raise Refusal(E.INVALID_QUANTITY, f"{where}.quantity")
    qty = Decimal(str(qty_raw))
    amount = money(need(it, "amount"), f"{where}.amount")
    if abs(amount - (price * qty).quantize(KOP, ROUND_HALF_UP)) > KOP:  # a kopeck either way
        raise Refusal(E.INVALID_SUM, f"{where}.amount {amount} != {price} x {qty}")
    tax = (it.get("tax") or {}).get("type") if isinstance(it.get("tax"), Mapping) else None
    if tax is None:
        raise Refusal(E.NO_REQUIRED_PARAM, f"{where}.tax.type")
    if tax not in TAXES or not rate_allowed(tax, today=today, vat22_from=vat22_from,
                                            refund=refund):
        raise Refusal(E.INVALID_TAX_TYPE, f"{where}.tax.type {tax} on {today.isoformat()}")
    if it.get("paymentMethod", "fullPayment") not in PAYMENT_METHODS:
        raise Refusal(E.INVALID_1214, f"{where}.paymentMethod")
    obj = it.get("paymentObject", "commodity")
    if obj not in PAYMENT_OBJECTS:
        raise Refusal(E.INVALID_1212, f"{where}.paymentObject")
    if it.get("measurementUnit", 0) not in UNITS:
        raise Refusal(E.INVALID_MEASUREMENT_UNIT, f"{where}.measurementUnit")
    code = it.get("nomenclatureCode")
    if code is not None and not (isinstance(code, Mapping) and code.get("type") in NOMENCLATURE
                                 and isinstance(code.get("serial"), str)):
        raise Refusal(E.INVALID_PARAM, f"{where}.nomenclatureCode {{type, gtin, serial}}")
    imc = it.get("imcParams")
    if obj in ("commodityWithMarking", "exciseWithMarking") and not imc:
        raise Refusal(E.NO_REQUIRED_FISCAL_PROPERTY, f"{where}.imcParams (2000)")
    if imc is not None:
        marking_code(imc, where)
    return amount


def marking_code(imc: Any, where: str = "params") -> bytes:
    if not isinstance(imc, Mapping):
        raise Refusal(E.INVALID_PARAM, f"{where}.imcParams")
    raw = need(imc, "imc")
    try:
        code = base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        raise Refusal(E.INVALID_MARKING_CODE, f"{where}.imc is not base64") from None
    if not code:
        raise Refusal(E.INVALID_MARKING_CODE, f"{where}.imc")
    return code
