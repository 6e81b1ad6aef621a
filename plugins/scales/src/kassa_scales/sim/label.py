"""A Shtrih-Print label scale: the PLU table store, its validation, set-PLU 0x37, get-weight
0x38 and a label log (price x weight, EAN-13 weight barcode). Error codes are the
source's (``error.properties``); what is PROVISIONAL is listed in ``kassa_scales.shtrih_print``."""

from __future__ import annotations

import struct
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kassa_scales import shtrih_print as sp
from kassa_scales.reading import ProtocolError
from kassa_scales.sim.curve import Curve

MAX_CODE, MAX_LIFE, MAX_TARE, MAX_GROUP = 99999, 999, 9999, 999  # fit the label / barcode
LOCK_AFTER = 10  # wrong passwords in a row before 170 (the count is ours)


class LabelScaleEmulator:
    protocol = "shtrih_print"

    def __init__(self, *, password: str = "0030", table_size: int = 8000, prefix: int = 21,
                 max_price: int = 99_999_99, curve: Curve | None = None) -> None:
        self.password = password.encode("ascii")
        self.table_size, self.prefix, self.max_price = table_size, prefix, max_price
        self.curve = curve or Curve.steady(0)
        self.plus: dict[int, sp.Plu] = {}
        self.current = 0
        self.wrong = 0
        self.labels: list[dict[str, Any]] = []
        self.writes = 0  # WRITE_PLU / DELETE_PLU commands that changed the table
        self.received = 0  # bytes
        self.buffer = bytearray()
        self.rejected: list[str] = []
        self.garbage = 0

    def feed(self, data: bytes) -> bytes:
        self.received += len(data)
        self.buffer += data
        out = b""
        while len(self.buffer) >= 3:
            if self.buffer[0] not in (sp.NORMAL, sp.SYNC):
                self.rejected.append(f"dropped byte {self.buffer[0]:02x}")
                del self.buffer[:1]
                continue
            n = self.buffer[1]
            if len(self.buffer) < 2 + n:
                break
            cmd, params = self.buffer[2], bytes(self.buffer[3:2 + n])
            del self.buffer[:2 + n]
            error, data_out = self.run(cmd, params) if n else (121, b"")
            if error:
                self.rejected.append(f"0x{cmd:02x}: {error} {sp.ERRORS.get(error, '')}")
            if self.garbage:
                self.garbage -= 1
                out += b"\x00\xffgarbage"
            else:
                out += sp.answer(cmd, error, data_out)
        return out

    def run(self, cmd: int, params: bytes) -> tuple[int, bytes]:
        if cmd not in (sp.CLEAR_GOODS, sp.SET_PLU, sp.GET_WEIGHT, sp.WRITE_PLU, sp.DELETE_PLU):
            return 120, b""
        if len(params) < 4:
            return 121, b""
        if self.wrong >= LOCK_AFTER:
            return 170, b""
        if params[:4] != self.password:
            self.wrong += 1
            return 122, b""
        self.wrong = 0
        body = params[4:]
        if cmd == sp.CLEAR_GOODS:
            return (121, b"") if body else self._clear()
        if cmd == sp.SET_PLU:
            if len(body) != 2:
                return 121, b""
            (plu,) = struct.unpack("<H", body)
            if plu > self.table_size:
                return 128, b""
            if plu and plu not in self.plus:
                return 140, b""
            self.current = plu
            return 0, b""
        if cmd == sp.GET_WEIGHT:
            if body:
                return 121, b""
            s = self.curve.sample()
            if not s.stable or s.overload:
                return 152, b""
            return 0, struct.pack("<i", int(s.grams))
        if cmd == sp.DELETE_PLU:
            if len(body) != 2:
                return 121, b""
            (plu,) = struct.unpack("<H", body)
            if not 1 <= plu <= self.table_size:
                return 128, b""
            if self.plus.pop(plu, None) is None:
                return 140, b""
            self.writes += 1
            return 0, b""
        try:
            record = sp.decode_plu(body)
        except (ProtocolError, UnicodeDecodeError):
            return 121, b""
        error = self.check(record)
        if error:
            return error, b""
        self.plus[record.number] = record
        self.writes += 1
        return 0, b""

    def _clear(self) -> tuple[int, bytes]:
        self.plus.clear()
        self.current = 0
        return 0, b""

    def check(self, p: sp.Plu) -> int:
        if not 1 <= p.number <= self.table_size:
            return 128
        if not 1 <= p.code <= MAX_CODE:
            return 130
        if not 1 <= p.price <= self.max_price:
            return 131
        if p.shelf_life > MAX_LIFE:
            return 132
        if p.tare > MAX_TARE:
            return 133
        if p.group > MAX_GROUP:
            return 134
        if not p.name1.strip():
            return 124
        return 0

    # --- the scale's own keyboard ----------------------------------------------------------
    def print_label(self) -> dict[str, Any]:
        """The operator presses PRINT: a label for the current PLU and the fixed weight."""
        s = self.curve.sample()
        if not self.current:
            raise ValueError("no PLU selected")
        if not s.stable or s.overload:
            raise ValueError(sp.ERRORS[152])
        p = self.plus[self.current]
        net = max(s.grams - p.tare, Decimal(0))
        cost = int((Decimal(p.price) * net / 1000).quantize(Decimal(1), ROUND_HALF_UP))
        label = {"plu": p.number, "name": p.name1, "grams": int(net), "price": p.price,
                 "cost": cost, "barcode": weight_barcode(self.prefix, p.code, int(net))}
        self.labels.append(label)
        return label


def weight_barcode(prefix: int, code: int, grams: int) -> str:
    """EAN-13 ``PP CCCCC WWWWW K`` (prefix 20-29, item code, grams; the layout is the
    common one and unverified for Shtrih-Print, fiscal.md §5.5)."""
    digits = f"{prefix:02d}{code:05d}{grams:05d}"
    odd = sum(int(d) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return digits + str((10 - (odd + 3 * even) % 10) % 10)
