"""OFD.ru API v1 JSON <-> our values, in one place (ofd_video.md A.1, A.3).

Sums are kopecks; ``DocDateTime`` is the register's wall clock without a zone, ``CDateUtc``
the OFD's receive time in UTC; ``DecimalFiscalSign`` is the FP as decimal digits.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from attrs import frozen
from kassa.model import Operation

STAMP = "%Y-%m-%dT%H:%M:%S"  # dateFrom / dateTo / DocDateTime (A.1)

# 1054 -> OperationType; the capitalisation is an inference from lower-cased client code (A.1)
OPERATION_TYPES = {Operation(1): "Income", Operation(2): "Refund income",
                   Operation(3): "Expense", Operation(4): "Refund expense"}
OPERATIONS = {v.lower(): k for k, v in OPERATION_TYPES.items()}


def stamp(at: datetime, tz: tzinfo) -> str:
    """An aware time as the register's wall clock, the form of dateFrom/dateTo."""
    return at.astimezone(tz).strftime(STAMP)


def parse_stamp(text: str, tz: tzinfo) -> datetime:
    return datetime.strptime(text[:19], STAMP).replace(tzinfo=tz)


@frozen(kw_only=True)
class Kkt:
    """One register of the account (the ``/kkts`` item)."""

    reg_number: str  # KktRegId (1037)
    fn: str  # FnNumber (1041)
    name: str = ""
    model: str = ""
    last_doc_on_kkt: datetime | None = None  # LastDocOnKktDateTime (register time)
    last_doc_on_ofd: datetime | None = None  # LastDocOnOfdDateTimeUtc: the last exchange
    fn_end: datetime | None = None


@frozen(kw_only=True)
class OfdReceipt:
    """One receipt as the OFD lists it (the ``/receipts`` item)."""

    id: str  # Id = the RawId of receipt/{RawId}
    fn: str
    number: int  # DocNumber (1040)
    reg_number: str
    issued_at: datetime  # DocDateTime, in the register's zone
    received_at: datetime | None  # CDateUtc
    total: int  # TotalSumm, kopecks
    operation: Operation | None
    fiscal_sign: str | None = None  # DecimalFiscalSign
    shift: int | None = None
    receipt_number: int | None = None
    correction: bool = False


def _opt_time(value: Any, tz: tzinfo) -> datetime | None:
    return parse_stamp(value, tz) if isinstance(value, str) and value else None


def kkt(item: dict[str, Any], tz: tzinfo) -> Kkt:
    return Kkt(reg_number=str(item.get("KktRegId") or ""), fn=str(item.get("FnNumber") or ""),
               name=str(item.get("KktName") or ""), model=str(item.get("KktModel") or ""),
               last_doc_on_kkt=_opt_time(item.get("LastDocOnKktDateTime"), tz),
               last_doc_on_ofd=_opt_time(item.get("LastDocOnOfdDateTimeUtc"), UTC),
               fn_end=_opt_time(item.get("FnEndDate"), tz))


def receipt(item: dict[str, Any], tz: tzinfo) -> OfdReceipt:
    op = str(item.get("OperationType") or "").lower()
    sign = item.get("DecimalFiscalSign")
    return OfdReceipt(
        id=str(item.get("Id") or item.get("DocRawId") or ""), fn=str(item.get("FnNumber") or ""),
        number=int(item.get("DocNumber") or 0), reg_number=str(item.get("KktRegNumber") or ""),
        issued_at=parse_stamp(str(item["DocDateTime"]), tz),
        received_at=_opt_time(item.get("CDateUtc"), UTC), total=int(item.get("TotalSumm") or 0),
        operation=OPERATIONS.get(op), fiscal_sign=str(sign) if sign is not None else None,
        shift=item.get("DocShiftNumber"), receipt_number=item.get("ReceiptNumber"),
        correction=bool(item.get("IsCorrection")))
