"""Receipt commands of the emulated register: FF46 / 0x80 items, FF0C tags, FF45 / 0x85 close,
0x88 cancel, FF35/FF36 correction, FF61/FF69/FF67 marking (fiscal.md §3.2, §12)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from kassa_shtrih import commands as c
from kassa_shtrih.sim import ofd
from kassa_shtrih.sim.archive import OpenDoc, Refused

if TYPE_CHECKING:
    from kassa_shtrih.sim.fr import Register

_OBJECTS = set(range(1, 28)) | {30, 31, 32, 33}


# --- receipts --------------------------------------------------------------------------
def _open(fr: Register, type_: int) -> OpenDoc:
    fr.check_fn()
    fr.check_shift()
    if fr.doc is None:
        fr.doc = OpenDoc(type=type_)
    elif fr.doc.correction and not fr.doc.items:
        fr.doc.type = type_  # FF35 opened a correction; its first FF46 gives the 1054
    elif fr.doc.type != type_:
        raise Refused(0x49)
    return fr.doc

def open_receipt(fr: Register, data: bytes) -> bytes:
    if fr.doc is not None:
        raise Refused(0x4A)
    if data[0] > 3:
        raise Refused(0x33)
    _open(fr, data[0])
    return bytes([1])

def operation_v2(fr: Register, data: bytes) -> bytes:
    op = data[0]
    if op not in (1, 2, 3, 4):
        raise Refused(0x33)
    qty = Decimal(c.num(data[1:7])) / 1_000_000
    price, total, tax_sum = c.num(data[7:12]), c.num(data[12:17]), c.num(data[17:22])
    rate, dept, method, obj = data[22], data[23], data[24], data[25]
    name = c.untext(data[26:154])
    exact = int((qty * price).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if total == c.AUTO:
        total = exact
    elif abs(total - exact) > 1:  # §12: within ±1 kop of price × qty
        raise Refused(0x33)
    if qty <= 0:
        raise Refused(0x62)
    if rate not in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20):
        raise Refused(0x33)  # one bit: a single rate per line
    if not (dept <= 16 or dept == 255) or method not in range(1, 8) or obj not in _OBJECTS:
        raise Refused(0x33)
    code = None
    if obj in (31, 33):
        code = fr.marking.get("bound")
        if code is None:
            raise Refused(0x5E)  # a marked item needs FF61 -> FF69 -> FF67 first
    doc = _open(fr, op - 1)
    doc.items.append({"name": name, "qty": str(qty), "price": price, "total": total,
                      "tax_rate": rate, "tax_sum": None if tax_sum == c.AUTO else tax_sum,
                      "dept": dept, "1214": method, "1212": obj, "2000": code})
    fr.marking = {}
    if not name.startswith("//"):  # "//name" goes to the OFD unprinted (FSPrintRecItem)
        fr.printed.append(f"{name} {qty} x {price} = {total}")
    return bytes([1])

def legacy_item(fr: Register, ret: bool, data: bytes) -> bytes:
    qty = Decimal(c.num(data[0:5])) / 1000
    price = c.num(data[5:10])
    doc = _open(fr, 2 if ret else 0)
    total = int((qty * price).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    doc.items.append({"name": c.untext(data[15:55]), "qty": str(qty), "price": price,
                      "total": total, "tax_rate": 0, "dept": data[10], "1214": 4,
                      "1212": 1, "2000": None})
    return bytes([1])

def send_tlv(fr: Register, data: bytes) -> bytes:
    if fr.doc is None:
        raise Refused(0x5E)
    tag, n = c.num(data[0:2]), c.num(data[2:4])
    value = data[4:4 + n]
    if len(value) != n or len(data) != 4 + n:
        raise Refused(0x7E)
    if n > 250 or sum(len(v) + 4 for _, v in fr.doc.tlv) + n + 4 > 1024:
        raise Refused(0x10)
    if tag == 1203 and not (len(value) == 12 and value.isdigit()):
        raise Refused(0x33)
    if tag in (1173, 1174):
        _correction_tag(fr.doc, tag, value)
    fr.doc.tlv.append((tag, value))
    return b""

def _correction_tag(doc: OpenDoc, tag: int, value: bytes) -> None:
    """1173 (0 / 1) and 1174 {1178 unixtime 4, 1179 string <= 32} belong to a correction
    only (FFD Table 29; fiscal.md §1.2)."""
    if not doc.correction:
        raise Refused(0x33)
    if tag == 1173:
        if len(value) != 1 or value[0] not in (0, 1):
            raise Refused(0x33)
        return
    inner = c.parse_tlvs(value)
    if inner is None:
        raise Refused(0x7E)
    parts = dict(inner)
    if (set(parts) - {1178, 1179} or len(parts) != len(inner) or len(parts.get(1178, b"")) != 4
            or len(parts.get(1179, b"")) > 32):
        raise Refused(0x33)


def _close(fr: Register, payments: list[int], tax_system: int, *, basis: bool = True) -> int:
    doc = fr.doc
    if doc is None:
        raise Refused(0x55)
    if not doc.items:
        raise Refused(0x8E)
    if doc.correction and basis:
        tags = dict(doc.tlv)
        if 1173 not in tags or 1174 not in tags:
            raise Refused(0x33)  # a correction without its type or basis (FFD Table 29)
        if tags[1173] == b"\x01" and 1179 not in dict(c.parse_tlvs(tags[1174]) or []):
            raise Refused(0x33)  # by instruction: the order's number is required
    total, paid, cash = doc.total, sum(payments), payments[0]
    if paid - cash > total:
        raise Refused(0x4D)
    if paid < total:
        raise Refused(0x45)
    change = paid - total
    if change > cash:
        raise Refused(0x4D)
    if tax_system not in (1, 2, 4, 8, 16, 32):
        raise Refused(0x33)  # 1055: exactly one bit
    fr.receipts_in_shift += 1
    fr.make_fd(31 if doc.correction else 3, total, operation=doc.type + 1,
               receipt_number=fr.receipts_in_shift, tlv=doc.tlv, items=doc.items,
               sums=ofd.sums(payments, change), taxation=tax_system)
    if not doc.correction:  # the FN keeps corrections apart (1133); these are 1129..1132
        _accumulate(fr, doc, payments, change)
    net = cash - change
    fr.cash += net if doc.type in (0, 3) else -net
    fr.doc = None
    fr.printed.append(f"ИТОГ {total}")
    return change

def _accumulate(fr: Register, doc: OpenDoc, payments: list[int], change: int) -> None:
    """The shift's registers a closed receipt moves: its count, its items' sums per
    department (255 "by code" and 0 count in department 1), its payments of types 1..4
    (cash net of change). Types 5..16 have no register in the table we know."""
    op = c.REGISTER_OPERATION[doc.type + 1]  # the open document's type is 1054 - 1
    fr.count(c.RECEIPT_COUNTS + op)
    for item in doc.items:
        dept = int(item["dept"])
        fr.add(c.dept_register(dept if 1 <= dept <= 16 else 1, op), int(item["total"]))
    for type_ in range(1, 5):
        paid = payments[type_ - 1] - (change if type_ == 1 else 0)
        if paid:
            fr.add(c.payment_register(type_, op), paid)


def close_v2(fr: Register, data: bytes) -> bytes:
    if len(data) != 127:
        raise Refused(0x7E)
    payments = [c.num(data[i * 5:i * 5 + 5]) for i in range(16)]
    tax_system = data[86]
    return c.le(_close(fr, payments, tax_system), 5)

def close_legacy(fr: Register, data: bytes) -> bytes:
    payments = [c.num(data[i * 5:i * 5 + 5]) for i in range(4)] + [0] * 12
    return bytes([1]) + c.le(_close(fr, payments, 1), 5)

def cancel(fr: Register, data: bytes) -> bytes:
    if fr.doc is None or fr.fn_only:
        raise Refused(0x55)  # no receipt open as far as the register's mode goes
    fr.doc = None
    fr.printed.append("ЧЕК АННУЛИРОВАН")
    return bytes([1])

def correction_begin(fr: Register, data: bytes) -> bytes:
    """FF35 opens a correction document (mode 8): FF36 forms it from a sum, or FF46 items,
    FF0C 1173 / 1174 and FF45 make an FFD 1.2 correction with items."""
    fr.check_fn()
    fr.check_shift()
    if fr.doc is not None:
        raise Refused(0x4A)
    fr.doc = OpenDoc(type=0, correction=True)
    return b""

def correction(fr: Register, data: bytes) -> bytes:
    doc = fr.doc
    if doc is None or not doc.correction or doc.items:
        raise Refused(0x5E)  # FF36 comes right after FF35
    total, op = c.num(data[0:5]), data[5]
    if op not in (1, 2, 3, 4):
        raise Refused(0x33)
    if total == 0:
        raise Refused(0x8E)
    doc.type = op - 1
    doc.items.append({"name": "КОРРЕКЦИЯ", "total": total})
    _close(fr, [total] + [0] * 15, 1, basis=False)  # FF36 carries no 1173 / 1174 of ours
    last = fr.documents[fr.fd]
    return c.le(fr.receipts_in_shift, 2) + c.le(fr.fd, 4) + c.le(last.fiscal_sign, 4)

# --- marking ---------------------------------------------------------------------------
def check_marking(fr: Register, data: bytes) -> bytes:
    fr.check_fn()
    status, n, _tlv_len = data[0], data[2], data[3]
    code = data[4:4 + n]
    if len(code) != n or status not in (1, 2, 3, 4, 255):
        raise Refused(0x33)
    local_error = 0 if code.startswith(b"01") and len(code) >= 24 else 1
    ok = local_error == 0 and not fr.marking_declined
    info = 0x0F if ok else 0x05  # 2106: checked, valid / checked, invalid
    fr.marking = {"checked": bytes(code), "info": info}
    return bytes([1 if local_error == 0 else 0, local_error, 0 if ok else 0xFF, 0, info])

def accept_marking(fr: Register, data: bytes) -> bytes:
    if "checked" not in fr.marking:
        raise Refused(0x5E)
    if data[0] == 1:
        fr.marking["accepted"] = fr.marking["checked"]
    else:
        fr.marking = {}
    return bytes([fr.marking.get("info", 0)])

def bind_marking(fr: Register, data: bytes) -> bytes:
    code = data[1:1 + data[0]]
    if fr.marking.get("accepted") != code:
        raise Refused(0x5E)
    fr.marking = {"bound": code.decode("ascii", errors="replace")}
    return c.le(0, 2) + bytes([3])  # item code, DataMatrix type (3 = КМ44)
