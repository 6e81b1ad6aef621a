"""r_keeper 7 wire facts shared by the client and the simulator: units, dates, statuses, errors.

Sources: /work/shared/protocols/rkeeper.md §0, §1.4, §1.5. One place for each fact.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

from kassa.model.money import qty

XML_PATH = "/rk7api/v0/xmlinterface.xml"
SERVER_VERSION = "7.6.5.92"
XML_VERSION = "246"

# RK7QueryResult@Status values
OK = "Ok"
NO_CHANGES = "No changes"
PARSE_ERROR = "Query Parse Error"
BAD_PARAMS = "Bad Query Parameters"
EXEC_ERROR = "Query Executing Error"

# Error catalogue seen on real servers (code, text); the simulator answers with exactly these.
SHIFT_TOO_OLD = (2133, "Общая смена открыта слишком долго. Создание заказов запрещено")
SHIFT_CLOSING = (2172, "UCSERR(2172): В данный момент закрывается общая смена")
NOT_ENOUGH_MONEY = (3373, "Недостаточно денег для полной оплаты заказа")
ZERO_GUESTS = (3444, "Количество гостей не может быть равно нулю")
ORDER_LOCKED = (0, "Не получается заблокировать. Заказ заблокирован другим ключом блокировки")

# Line states in GetOrder / GetReceiptList
(STATE_OPEN, STATE_FIXED, STATE_PRINTED, STATE_PART_CLOSED, STATE_CLOSED,
 STATE_DELETED) = 1, 3, 4, 5, 6, 7

# ORDERVOIDS flags: which reason an operation accepts (§1.5)
FLAG_CHECK_VOID = "ImplOnCheckVoid"
FLAG_CHECK_UNDO = "ImplOnCheckUndo"
FLAG_DISH_RETURN = "ImplOnDishReturn"
FLAG_BILL_CANCEL = "ImplOnBillCancel"


class RK7Error(Exception):
    """The server answered with a non-Ok Status (or the answer was not an RK7QueryResult)."""

    def __init__(self, status: str, text: str, code: int | None = None, cmd: str = "") -> None:
        self.status = status
        self.text = text
        self.code = code
        self.cmd = cmd
        where = f"{cmd}: " if cmd else ""
        num = f" [{code}]" if code else ""
        super().__init__(f"{where}{status}{num}: {text}")


def fmt_dt(value: datetime) -> str:
    """Server local time without a zone, seconds precision."""
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def parse_dt(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def qty_from_wire(thousandths: str | int | None) -> Decimal:
    """1000 on the wire is one piece."""
    return qty(Decimal(int(thousandths or 0)) / 1000)


def to_int(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


def xml_bytes(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode").encode()
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
