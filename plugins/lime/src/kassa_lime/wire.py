"""Lime's JSON, both ways: GetCardInfo's answer -> ``CardInfo``, a ``Check`` -> the PutCheck
body. Field names are verbatim from public client code [rkeeper.md §4]; what that code does
not show (the payment's card, the answer's shape) is decided in docs/plugins/lime.md.

Rights' ``amount`` is kopecks (the public client divides it by 100); check prices and
payments are rubles as decimal strings ("150.00"). Times carry no zone (server local).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from kassa_lime.check import CardInfo, Check, Right, Source

_REF = re.compile(r"card:(\d+)/right:(\d+)")


class WireError(ValueError):
    """Lime sent something we cannot read."""


def rubles(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    k = abs(kopecks)
    return f"{sign}{k // 100}.{k % 100:02d}"


def kopecks(text: Any) -> int:
    """"150.00" (or a number) -> 15000; more than two decimals is refused, not rounded."""
    try:
        value = Decimal(str(text)) * 100
    except InvalidOperation:
        raise WireError(f"not an amount: {text!r}") from None
    if value != value.to_integral_value():
        raise WireError(f"an amount with fractions of a kopeck: {text!r}")
    return int(value)


def local_time(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")


def parse_time(text: str | None, tz: ZoneInfo) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise WireError(f"not a time: {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=tz)


def card_info(data: Any, tz: ZoneInfo) -> CardInfo:
    """GetCardInfo's answer: ``rights.right[]`` with ``amount`` (kopecks) and ``to``."""
    try:
        rights = (data.get("rights") or {}).get("right") or []
        return CardInfo(id=int(data["id"]), uid=str(data.get("uid") or ""),
                        holder=str(data.get("holder") or ""),
                        rights=[Right(id=int(r["id"]), name=str(r.get("name") or ""),
                                      amount=int(r["amount"]), to=parse_time(r.get("to"), tz))
                                for r in rights])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError(f"GetCardInfo answer not understood: {exc}") from None


def reference(source: Source) -> str:
    """A payment's ``transactionReference``: which card's right paid (our convention)."""
    return f"card:{source.card_id}/right:{source.right_id}"


def parse_reference(text: str) -> tuple[int, int] | None:
    m = _REF.fullmatch(text or "")
    return (int(m[1]), int(m[2])) if m else None


def _units(units: Decimal) -> int | float:
    return int(units) if units == units.to_integral_value() else float(units)


def put_check(check: Check, *, installation_id: int, cashdesk_id: int, user_id: int,
              processing_id: int, other_processing_id: int, tz: ZoneInfo,
              entry_ids: dict[int, int] | None = None) -> dict[str, Any]:
    """The PutCheck body: one entry per line, one payment per source that paid the line.
    ``entry_ids`` maps the returned check's entry numbers to Lime's entry ids (returns)."""
    at = local_time(check.time, tz)
    entries = []
    for n, line in enumerate(check.lines, start=1):
        paying = [s for s in line.shares if s.source.right_id]
        main = max(paying, key=lambda s: s.amount).source if paying else Source()
        back = None
        if line.returns_entry is not None:
            back = (entry_ids or {}).get(line.returns_entry, line.returns_entry)
        payments = [{"checkEntryId": 0, "id": 0,
                     "processingId": processing_id if s.source.right_id else other_processing_id,
                     "amount": rubles(s.amount),
                     "transactionReference": reference(s.source) if s.source.right_id else "",
                     "checkEntryDiscounts": ""} for s in line.shares]
        entries.append({"entry": {"entry": n, "id": 0, "amount": _units(line.units),
                                  "rightId": main.right_id or None,
                                  "cardId": main.card_id or None,
                                  "goodTypeId": line.good_type_id, "price": rubles(line.price),
                                  "basePrice": rubles(line.base_price),
                                  "returnCheckEntryId": back, "printedInQr": False,
                                  "count": _units(line.units)},
                        "payments": payments, "checkEntryDiscounts": []})
    return {"check": {"installationTime": at, "id": check.number,
                      "installationId": installation_id, "cashdeskId": cashdesk_id,
                      "userId": user_id, "time": at, "type": 1 if check.refund else 0,
                      "administrative": False},
            "entries": entries, "cardChanges": []}


def entry_ids(answer: Any) -> dict[int, int]:
    """PutCheck's answer -> {entry number: Lime's entry id} (for a later return)."""
    try:
        return {int(e["entry"]): int(e["id"]) for e in (answer or {}).get("entries") or []}
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}
