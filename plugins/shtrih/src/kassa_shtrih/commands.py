"""Shtrih-M commands: request payloads and answer parsers (fiscal.md §3.1-3.2; layouts of
0x10/0x11/0x50/0x85/FF01/FF03 from pyshtrih ``handlers/commands.py``, FF45/FF46/FF0A/FF61/
FF67/FF69 from the vendor's ``javapos_shtrih`` command classes).

Little-endian binary; money 5 bytes of kopecks; text CP1251; every request starts with a
4-byte password. The emulator parses requests with the same helpers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from attrs import frozen

# commands
SHORT_STATUS, FULL_STATUS, PRINT_LINE, CUT = 0x10, 0x11, 0x17, 0x25
X_REPORT, Z_REPORT, CASH_IN, CASH_OUT = 0x40, 0x41, 0x50, 0x51
SALE, SALE_RETURN, CLOSE_LEGACY, CANCEL, OPEN_RECEIPT = 0x80, 0x82, 0x85, 0x88, 0x8D
CONTINUE_PRINT, OPEN_SHIFT = 0xB0, 0xE0
FN_STATUS, FN_EXPIRY, FIND_DOCUMENT, SEND_TLV = 0xFF01, 0xFF03, 0xFF0A, 0xFF0C
FN_CANCEL = 0xFF08  # cancel the document open in the FN (FSCancelDoc.java)
CORRECTION_BEGIN, CORRECTION, OFD_STATUS, SHIFT_PARAMS = 0xFF35, 0xFF36, 0xFF39, 0xFF40
CLOSE_V2, OPERATION_V2 = 0xFF45, 0xFF46
CHECK_MARKING, BIND_MARKING, ACCEPT_MARKING = 0xFF61, 0xFF67, 0xFF69
CASH_REGISTER, OPERATION_REGISTER = 0x1A, 0x1B  # "Запрос денежного / операционного регистра"

# Register numbers (the vendor's CashRegister.java / OPOS SOperatingRegister names; o = 0 sale,
# 1 buy, 2 sale return, 3 buy return, as in 0x8D): shift sums per department d (1..16) in
# cash register 121 + 4 (d - 1) + o, payments of type t (1 cash, 2..4) in 193 + 4 (t - 1) + o,
# receipts in operational register 144 + o; cash in the drawer 241, cash in / out of the
# shift 242 / 243.
DEPT_SUMS, PAYMENT_SUMS, RECEIPT_COUNTS = 121, 193, 144
DRAWER, CASH_INS, CASH_OUTS = 241, 242, 243
REGISTER_OPERATION = {1: 0, 3: 1, 2: 2, 4: 3}  # 1054 -> o


def dept_register(dept: int, op: int) -> int:
    return DEPT_SUMS + 4 * (dept - 1) + op


def payment_register(type_: int, op: int) -> int:
    return PAYMENT_SUMS + 4 * (type_ - 1) + op

AUTO = 0xFFFFFFFFFF  # FF46 sum / tax sum: "the register computes it"
CP = "cp1251"


def le(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little")


def num(data: bytes) -> int:
    return int.from_bytes(data, "little")


def text(value: str, size: int | None = None) -> bytes:
    raw = value.encode(CP, errors="replace")
    if size is None:
        return raw
    return raw[:size].ljust(size, b"\0")


def untext(data: bytes) -> str:
    return data.rstrip(b"\0").decode(CP, errors="replace")


def head(code: int) -> bytes:
    return bytes([0xFF, code & 0xFF]) if code > 0xFF else bytes([code])


def request(code: int, password: int, data: bytes = b"") -> bytes:
    return head(code) + le(password, 4) + data


def datetime5(data: bytes) -> datetime:
    """YY MM DD HH MM (FN date-time)."""
    y, mo, d, h, mi = data[:5]
    return datetime(2000 + y, mo, d, h, mi)


def pack_datetime5(at: datetime) -> bytes:
    return bytes([at.year - 2000, at.month, at.day, at.hour, at.minute])


def quantity6(qty: Decimal) -> int:
    """FF46 quantity: 6 bytes, 6 decimals."""
    return int((qty * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))


# --- requests --------------------------------------------------------------------------
def operation_v2(password: int, *, op: int, qty: Decimal, price: int, total: int | None,
                 tax_rate: int, dept: int, method: int, obj: int, name: str,
                 tax_sum: int | None = None) -> bytes:
    data = (bytes([op]) + le(quantity6(qty), 6) + le(price, 5)
            + le(AUTO if total is None else total, 5)
            + le(AUTO if tax_sum is None else tax_sum, 5)
            + bytes([tax_rate, dept, method, obj]) + text(name)[:128])
    return request(OPERATION_V2, password, data)


def close_v2(password: int, payments: list[int], *, tax_system: int, text_: str = "",
             discount: int = 0) -> bytes:
    if len(payments) != 16:
        raise ValueError("FF45 takes 16 payment sums")
    data = (b"".join(le(p, 5) for p in payments) + discount.to_bytes(2, "little", signed=True)
            + bytes(4) + bytes([tax_system]) + text(text_, 40))
    return request(CLOSE_V2, password, data)


def tlv(tag: int, value: bytes) -> bytes:
    return le(tag, 2) + le(len(value), 2) + value


def send_tlv(password: int, tag: int, value: bytes) -> bytes:
    return request(SEND_TLV, password, tlv(tag, value))


def check_marking(password: int, code: bytes, planned_status: int, tlv_data: bytes = b""
                  ) -> bytes:
    data = bytes([planned_status, 0, len(code), len(tlv_data)]) + code + tlv_data
    return request(CHECK_MARKING, password, data)


def accept_marking(password: int, accept: bool) -> bytes:
    return request(ACCEPT_MARKING, password, bytes([1 if accept else 0]))


def bind_marking(password: int, code: bytes) -> bytes:
    return request(BIND_MARKING, password, bytes([len(code)]) + code)


def print_line(password: int, line: str, flags: int = 0x01) -> bytes:
    return request(PRINT_LINE, password, bytes([flags]) + text(line, 40))


def money_request(code: int, password: int, amount: int) -> bytes:
    return request(code, password, le(amount, 5))


def cash_register(data: bytes) -> int:
    """0x1A answer after the error byte: operator (1), content (6 bytes, kopecks)."""
    return num(data[1:7])


def operation_register(data: bytes) -> int:
    """0x1B answer after the error byte: operator (1), content (2 bytes)."""
    return num(data[1:3])


def find_document(password: int, number: int) -> bytes:
    return request(FIND_DOCUMENT, password, le(number, 4))


def correction(password: int, total: int, op: int) -> bytes:
    """FF36 after FF35: total 5, operation 1 (FSPrintCorrectionReceipt.java). Answer:
    receipt number 2, FD 4, FP 4."""
    return request(CORRECTION, password, le(total, 5) + bytes([op]))


def unixtime(day: date) -> bytes:
    """An FFD ``unixtime`` for a date (1178): midnight UTC of that day, 4 bytes LE."""
    return le(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()), 4)


def correction_basis(day: date, order: str | None) -> bytes:
    """1174, an STLV: 1178 the corrected settlement's date, 1179 the tax authority's order."""
    value = tlv(1178, unixtime(day))
    if order:
        value += tlv(1179, text(order))
    return value


def parse_tlvs(data: bytes) -> list[tuple[int, bytes]] | None:
    """The TLVs of an STLV value; ``None`` when a length runs past the end."""
    out, i = [], 0
    while i < len(data):
        if i + 4 > len(data):
            return None
        tag, n = num(data[i:i + 2]), num(data[i + 2:i + 4])
        if i + 4 + n > len(data):
            return None
        out.append((tag, data[i + 4:i + 4 + n]))
        i += 4 + n
    return out


def legacy_sale(password: int, qty_thousandths: int, price: int, name: str,
                dept: int = 1, ret: bool = False) -> bytes:
    data = le(qty_thousandths, 5) + le(price, 5) + bytes([dept]) + bytes(4) + text(name, 40)
    return request(SALE_RETURN if ret else SALE, password, data)


def legacy_close(password: int, cash: int, pay2: int = 0, pay3: int = 0, pay4: int = 0,
                 name: str = "") -> bytes:
    data = (le(cash, 5) + le(pay2, 5) + le(pay3, 5) + le(pay4, 5) + bytes(2) + bytes(4)
            + text(name, 40))
    return request(CLOSE_LEGACY, password, data)


# --- answers ---------------------------------------------------------------------------
@frozen
class Answer:
    code: int
    error: int
    data: bytes


def answer(payload: bytes) -> Answer:
    if payload[0] == 0xFF:
        return Answer(0xFF00 | payload[1], payload[2], payload[3:])
    return Answer(payload[0], payload[1], payload[2:])


def pack_answer(code: int, error: int, data: bytes = b"") -> bytes:
    return head(code) + bytes([error]) + (data if error == 0 else b"")


@frozen
class ShortStatus:
    operator: int
    flags: int
    mode: int  # the whole byte: low nibble mode, high nibble its status
    submode: int
    operations: int


def short_status(data: bytes) -> ShortStatus:
    """0x10: operator, flags(2), mode, submode, ops-lo, batt, power, FP err, EKLZ err,
    ops-hi, 3 reserved."""
    return ShortStatus(data[0], num(data[1:3]), data[3], data[4], data[5] | data[10] << 8)


@frozen
class FullStatus:
    document_number: int  # "сквозной номер текущего документа"
    mode: int
    submode: int
    at: datetime
    last_closed_shift: int
    serial: int


def full_status(data: bytes) -> FullStatus:
    """0x11, offsets after the error byte as pyshtrih reads them (minus one)."""
    d = data
    dd, mm, yy = d[23:26]
    h, mi, s = d[26:29]
    return FullStatus(num(d[9:11]), d[13], d[14], datetime(2000 + yy, mm, dd, h, mi, s),
                      num(d[34:36]), num(d[30:34]))


@frozen
class FnStatus:
    life: int  # bits: 0 configured, 1 fiscal mode open, 2 closed, 3 OFD transfer over
    document: int  # 0 none open; 02h shift open, 04h receipt, 08h shift close (FSReadStatus)
    shift_open: bool
    warnings: int  # bit 0 urgent replacement, 1 resource exhausted, 2 memory 90 %, 3 OFD late
    at: datetime
    fn: str
    last_fd: int


def fn_status(data: bytes) -> FnStatus:
    return FnStatus(data[0], data[1], bool(data[3]), data[4], datetime5(data[5:10]),
                    data[10:26].decode("ascii"), num(data[26:30]))


def fn_expiry(data: bytes) -> datetime:
    """FF03: the FN's expiry date, YY MM DD (pyshtrih ``handle_revdate``)."""
    return datetime(2000 + data[0], data[1], data[2])


@frozen
class FoundDocument:
    """FF0A (``FSFindDocument.java``): type (FFD form code), OFD receipt flag, then the FN's
    data for the type (``FSDocument.java``): date-time 5, FD 4, FP 4; then for a receipt
    (``FSDocumentReceipt.java``) operation 1 + sum 5, for a shift open / close report
    (``FSOpenDayReport`` / ``FSCloseDayReport.java``) the shift 2. Form 31 is read as a
    receipt (our reading; no vendor class names it)."""

    type: int
    ofd_confirmed: bool
    at: datetime
    number: int
    fiscal_sign: int
    operation: int | None = None
    total: int | None = None
    shift: int | None = None


def found_document(data: bytes) -> FoundDocument:
    kind, ticket, body = data[0], bool(data[1]), data[2:]
    base = dict(type=kind, ofd_confirmed=ticket, at=datetime5(body[0:5]),
                number=num(body[5:9]), fiscal_sign=num(body[9:13]))
    if kind in (3, 31):
        return FoundDocument(**base, operation=body[13], total=num(body[14:19]))  # type: ignore[arg-type]
    return FoundDocument(**base, shift=num(body[13:15]))  # type: ignore[arg-type]


@frozen
class ShiftParams:
    """FF40 (``FSReadDayParameters.java``): shift state 1, shift number 2, receipt number 2."""

    open: bool
    shift: int
    receipt: int  # receipts in the shift so far


def shift_params(data: bytes) -> ShiftParams:
    return ShiftParams(bool(data[0]), num(data[1:3]), num(data[3:5]))


@frozen
class OfdStatus:
    exchange: int  # bits: 0 connected, 1 a message waits, 2 awaiting the OFD's receipt, ...
    unsent: int
    first_number: int
    first_at: datetime | None


def ofd_status(data: bytes) -> OfdStatus:
    """FF39 (``FSReadCommStatus.java``): exchange status 1, reading flag 1, unsent count 2,
    first unsent FD 4, its date-time 5 (YY MM DD HH MM)."""
    unsent = num(data[2:4])
    return OfdStatus(data[0], unsent, num(data[4:8]),
                     datetime5(data[8:13]) if unsent else None)


@frozen
class MarkingAnswer:
    local_status: int
    local_error: int  # 0 OK, 1 not checkable, 2 no key, 3 no GS1 AI 91/92, 4 other
    code_type: int
    server_code: int
    item_info: int  # 2106


def marking_answer(data: bytes) -> MarkingAnswer:
    return MarkingAnswer(data[0], data[1], data[2], data[3], data[4])
