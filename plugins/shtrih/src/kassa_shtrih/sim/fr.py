"""The emulated register behind the line: FN, shift, open document, counters, faults.

``Register.execute(payload) -> answer payload`` takes a request as the line delivered it and
answers with the error byte semantics of fiscal.md §3 / §12 (passwords 1..30, sysadmin 30 for
reports and FN commands; mode 4 -> 2 -> 3 after 24 h; 8 inside a document)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import define, field

from kassa_shtrih import commands as c
from kassa_shtrih.codes import Submode
from kassa_shtrih.link import command_code
from kassa_shtrih.sim import receipts as r
from kassa_shtrih.sim.archive import Doc, OpenDoc, Refused

FN = "9999078900000961"
REG_NUMBER = "0000000003002292"
SERIAL = 1002292
ADMIN = 30
SHIFT_LIMIT = timedelta(hours=24)
OFD_LIMIT = timedelta(days=30)
_ITEM_PRINTS = {c.PRINT_LINE, c.X_REPORT, c.Z_REPORT, c.CASH_IN, c.CASH_OUT, c.OPEN_SHIFT,
                c.OPERATION_V2, c.CLOSE_V2, c.SALE, c.SALE_RETURN, c.CLOSE_LEGACY,
                c.CORRECTION, c.CUT}
_ADMIN_ONLY = {c.X_REPORT, c.Z_REPORT}


@define
class Register:
    clock: Callable[[], datetime]  # the register's wall clock (naive local time)
    key: bytes = b"kassa-shtrih-sim"  # FP HMAC key: same inputs, same fiscal signs
    passwords: frozenset[int] = frozenset(range(1, 31))
    main_vat: int = 22  # the rate the firmware prints for tax byte 0x01 (20 before 2026)
    fd: int = 0
    doc_no: int = 0  # the through number of every document, fiscal or not
    shift: int = 0
    shift_open: bool = False
    shift_opened_at: datetime | None = None
    receipts_in_shift: int = 0
    cash: int = 0
    # the shift's cash registers (0x1A) and operational registers (0x1B) by number; the Z
    # report clears them ("с гашением"), 241 (the drawer) is ``cash``
    cash_registers: dict[int, int] = field(factory=dict)
    operation_registers: dict[int, int] = field(factory=dict)
    doc: OpenDoc | None = None
    submode: int = Submode.PAPER_OK
    documents: dict[int, Doc] = field(factory=dict)
    printed: list[str] = field(factory=list)  # the paper, line by line
    # faults (control API)
    paper: bool = True
    paper_runs_out_after_fd: bool = False  # the next fiscal document leaves paper out
    no_fn: bool = False
    ofd_backlog: int = 0  # the newest FDs the OFD has not confirmed
    ofd_failing: bool = False  # the register's own network is down (nothing is sent)
    ofd_error: str = ""  # why the last exchange failed ("" after one succeeded)
    fn_number: str = FN  # 1041
    reg_number: str = REG_NUMBER  # 1037
    user_inn: str = "7700000000"  # 1018: the INN the register is registered to
    user: str = "ООО \"Касса\""  # 1048
    marking_declined: bool = False
    marking: dict[str, Any] = field(factory=dict)  # the code being checked / accepted
    # what the firmware shows after FF35 is unknown: "document" = mode 8 (a receipt-like
    # open document, 0x88 cancels it); "fn" = the mode stays, only FF01 names the open
    # correction and FF08 cancels it (control: "correction-begin document|fn")
    correction_begin: str = "document"

    # --- faults and probes -------------------------------------------------------------
    def load_paper(self) -> None:
        self.paper = True
        if self.submode in (Submode.PAPER_OUT_ACTIVE,):
            self.submode = Submode.AWAIT_CONTINUE
        elif self.submode == Submode.PAPER_OUT_PASSIVE:
            self.submode = Submode.PAPER_OK

    def remove_paper(self) -> None:
        self.paper = False
        if self.submode == Submode.PAPER_OK:
            self.submode = Submode.PAPER_OUT_PASSIVE

    def receipts(self) -> list[Doc]:
        return [d for d in self.documents.values() if d.type in (3, 31)]

    @property
    def expired(self) -> bool:
        return bool(self.shift_open and self.shift_opened_at
                    and self.clock() - self.shift_opened_at > SHIFT_LIMIT)

    @property
    def fn_only(self) -> bool:
        """A correction begun (FF35, no item yet) that only the FN knows about."""
        return bool(self.doc is not None and self.correction_begin == "fn"
                    and self.doc.correction and not self.doc.items)

    @property
    def mode(self) -> int:
        if self.doc is not None and not self.fn_only:
            return 8 | (self.doc.type << 4)
        if self.shift_open:
            return 3 if self.expired else 2
        return 4

    # --- the command loop --------------------------------------------------------------
    def execute(self, payload: bytes) -> bytes:
        code = command_code(payload)
        body = payload[2:] if code > 0xFF else payload[1:]
        handler = _HANDLERS.get(code)
        if handler is None:
            return c.pack_answer(code, 0x37)
        if len(body) < 4:
            return c.pack_answer(code, 0x7E)
        password, data = c.num(body[:4]), body[4:]
        try:
            if password not in self.passwords:
                raise Refused(0x4F)
            admin_only = code in _ADMIN_ONLY or code > 0xFF
            if admin_only and password != ADMIN:
                raise Refused(0x4F)
            if code in _ITEM_PRINTS:
                self._printable(code)
            out = handler(self, data)
        except Refused as err:
            return c.pack_answer(code, err.code)
        except (IndexError, ValueError):
            return c.pack_answer(code, 0x33)
        return c.pack_answer(code, 0, out)

    def _printable(self, code: int) -> None:
        if self.submode == Submode.AWAIT_CONTINUE:
            raise Refused(0x58)
        if not self.paper or self.submode != Submode.PAPER_OK:
            raise Refused(0x6B)

    def check_fn(self) -> None:
        if self.no_fn:
            raise Refused(0x64)

    def check_shift(self) -> None:
        if not self.shift_open:
            raise Refused(0x3D)
        if self.expired:
            raise Refused(0x4E)

    def _sign(self, number: int, total: int, at: datetime) -> int:
        mac = hmac.new(self.key, f"{self.fn_number}:{number}:{total}:{at:%Y%m%d%H%M}".encode(),
                       hashlib.sha256)
        return int.from_bytes(mac.digest()[:4], "little")

    def make_fd(self, type_: int, total: int = 0, **kw: Any) -> Doc:
        if self._oldest_unsent_age() > OFD_LIMIT:
            raise Refused(0x15)  # the FN blocks: 30 days without the OFD's receipts
        self.fd += 1
        self.doc_no += 1
        at = self.clock().replace(second=0, microsecond=0)
        d = Doc(type=type_, number=self.fd, at=at, fiscal_sign=self._sign(self.fd, total, at),
                shift=self.shift, total=total if type_ in (3, 31) else None, **kw)
        self.documents[d.number] = d
        self.ofd_backlog += 1
        if self.paper_runs_out_after_fd:
            self.paper_runs_out_after_fd = False
            self.paper, self.submode = False, Submode.PAPER_OUT_ACTIVE
        return d

    def add(self, register: int, amount: int) -> None:
        self.cash_registers[register] = self.cash_registers.get(register, 0) + amount

    def count(self, register: int) -> None:
        self.operation_registers[register] = self.operation_registers.get(register, 0) + 1

    # --- handlers: status ----------------------------------------------------------------
    def cash_register(self, data: bytes) -> bytes:
        number = data[0]
        value = self.cash if number == c.DRAWER else self.cash_registers.get(number, 0)
        return bytes([1]) + c.le(value, 6)

    def operation_register(self, data: bytes) -> bytes:
        return bytes([1]) + c.le(self.operation_registers.get(data[0], 0), 2)

    def short_status(self, data: bytes) -> bytes:
        ops = len(self.doc.items) if self.doc else 0
        return (bytes([1]) + c.le(0, 2) + bytes([self.mode, self.submode, ops & 0xFF,
                                                 0x9C, 0xC3, 0, 0, ops >> 8]) + bytes(3))

    def full_status(self, data: bytes) -> bytes:
        now = self.clock()
        closed = self.shift - (1 if self.shift_open else 0)
        return (bytes([1]) + b"C1" + c.le(100, 2) + bytes([1, 1, 26, 1]) + c.le(self.doc_no, 2)
                + c.le(0, 2) + bytes([self.mode, self.submode, 1]) + b"C1" + c.le(100, 2)
                + bytes([1, 1, 26]) + bytes([now.day, now.month, now.year - 2000])
                + bytes([now.hour, now.minute, now.second, 0]) + c.le(SERIAL, 4)
                + c.le(closed, 2) + c.le(2000, 2) + bytes([1, 29]) + bytes(6))

    def fn_status(self, data: bytes) -> bytes:
        self.check_fn()
        last = self.documents.get(self.fd)
        at = last.at if last else self.clock()
        warn = 0x08 if self._oldest_unsent_age() > OFD_LIMIT else 0
        # FSReadStatus.java: life phase bits (0 configured, 1 fiscal mode), the open document
        # (04h receipt; 14h correction: FN protocol, unverified), its data received, shift
        doc = 0 if self.doc is None else 0x14 if self.doc.correction else 0x04
        received = 1 if self.doc is not None and self.doc.items else 0
        return (bytes([3, doc, received, 1 if self.shift_open else 0, warn])
                + c.pack_datetime5(at) + self.fn_number.encode() + c.le(self.fd, 4))

    def unsent(self) -> list[Doc]:
        """The FDs the OFD has not confirmed yet, oldest first."""
        return self._unsent()

    def _unsent(self) -> list[Doc]:
        docs = sorted(self.documents.values(), key=lambda d: d.number)
        return docs[len(docs) - self.ofd_backlog:] if self.ofd_backlog else []

    def _oldest_unsent_age(self) -> timedelta:
        unsent = self._unsent()
        return self.clock() - unsent[0].at if unsent else timedelta(0)

    def fn_expiry(self, data: bytes) -> bytes:
        self.check_fn()
        return bytes([28, 1, 1, 11, 1])

    def ofd_status(self, data: bytes) -> bytes:
        self.check_fn()
        unsent = self._unsent()
        first = unsent[0] if unsent else None
        # status bit 1: a message for the OFD waits (FSReadCommStatus.java)
        return (bytes([0x02 if unsent else 0, 0]) + c.le(len(unsent), 2)
                + c.le(first.number if first else 0, 4)
                + (c.pack_datetime5(first.at) if first else bytes(5)))

    def shift_params(self, data: bytes) -> bytes:
        self.check_fn()
        return bytes([1 if self.shift_open else 0]) + c.le(self.shift, 2) + c.le(
            self.receipts_in_shift, 2)

    def fn_cancel(self, data: bytes) -> bytes:
        """FF08: the FN drops its open document (nothing fiscalised)."""
        self.check_fn()
        if self.doc is None:
            raise Refused(0x02)  # no document in the FN (our code: "wrong FN state")
        self.doc = None
        self.marking = {}
        self.printed.append("ДОКУМЕНТ ОТМЕНЕН")
        return b""

    def find_document(self, data: bytes) -> bytes:
        self.check_fn()
        d = self.documents.get(c.num(data[:4]))
        if d is None:
            raise Refused(0x08)
        body = c.pack_datetime5(d.at) + c.le(d.number, 4) + c.le(d.fiscal_sign, 4)
        if d.type in (3, 31):
            body += bytes([d.operation or 0]) + c.le(d.total or 0, 5)
        else:
            body += c.le(d.shift, 2)
        return bytes([d.type, 1 if d.ofd_confirmed else 0]) + body

    # --- shifts, reports, cash -----------------------------------------------------------
    def open_shift(self, data: bytes) -> bytes:
        self.check_fn()
        if self.doc is not None:
            raise Refused(0x4A)
        if self.shift_open:
            raise Refused(0x3C)
        self.shift += 1
        self.shift_open, self.shift_opened_at, self.receipts_in_shift = True, self.clock(), 0
        self.make_fd(2)
        self.printed.append(f"ОТКРЫТИЕ СМЕНЫ {self.shift}")
        return bytes([1])

    def z_report(self, data: bytes) -> bytes:
        self.check_fn()
        if self.doc is not None:
            raise Refused(0x4A)
        if not self.shift_open:
            raise Refused(0x3D)
        self.make_fd(5)
        self.shift_open, self.shift_opened_at = False, None
        self.cash_registers.clear()
        self.operation_registers.clear()
        self.printed.append(f"ЗАКРЫТИЕ СМЕНЫ {self.shift}")
        return bytes([1])

    def x_report(self, data: bytes) -> bytes:
        if self.doc is not None:
            raise Refused(0x4A)
        self.doc_no += 1
        self.printed.append(f"X-ОТЧЕТ наличность {self.cash}")
        return bytes([1])

    def cash_move(self, sign: int, data: bytes) -> bytes:
        if self.doc is not None:
            raise Refused(0x4A)
        self.check_shift()
        amount = c.num(data[:5])
        if amount == 0:
            raise Refused(0x33)
        if sign < 0 and amount > self.cash:
            raise Refused(0x46)
        self.cash += sign * amount
        self.add(c.CASH_INS if sign > 0 else c.CASH_OUTS, amount)
        self.doc_no += 1
        self.printed.append(f"{'ВНЕСЕНИЕ' if sign > 0 else 'ВЫПЛАТА'} {amount}")
        return bytes([1]) + c.le(self.doc_no, 2)

    def print_line(self, data: bytes) -> bytes:
        self.printed.append(c.untext(data[1:41]))
        return bytes([1])

    def cut(self, data: bytes) -> bytes:
        self.printed.append("--- отрезка ---")
        return bytes([1])

    def continue_print(self, data: bytes) -> bytes:
        if self.submode == Submode.AWAIT_CONTINUE:
            self.submode = Submode.PAPER_OK
            self.printed.append("ПРОДОЛЖЕНИЕ ПЕЧАТИ")
        elif not self.paper:
            raise Refused(0x6B)
        return bytes([1])



_HANDLERS: dict[int, Callable[[Register, bytes], bytes]] = {
    c.SHORT_STATUS: Register.short_status, c.FULL_STATUS: Register.full_status,
    c.CASH_REGISTER: Register.cash_register, c.OPERATION_REGISTER: Register.operation_register,
    c.PRINT_LINE: Register.print_line, c.CUT: Register.cut,
    c.X_REPORT: Register.x_report, c.Z_REPORT: Register.z_report,
    c.CASH_IN: lambda fr, d: fr.cash_move(1, d), c.CASH_OUT: lambda fr, d: fr.cash_move(-1, d),
    c.CONTINUE_PRINT: Register.continue_print, c.OPEN_SHIFT: Register.open_shift,
    c.FN_STATUS: Register.fn_status, c.FN_EXPIRY: Register.fn_expiry,
    c.FIND_DOCUMENT: Register.find_document, c.FN_CANCEL: Register.fn_cancel,
    c.OFD_STATUS: Register.ofd_status,
    c.SHIFT_PARAMS: Register.shift_params,
    c.SALE: lambda fr, d: r.legacy_item(fr, False, d),
    c.SALE_RETURN: lambda fr, d: r.legacy_item(fr, True, d),
    c.CLOSE_LEGACY: r.close_legacy, c.CANCEL: r.cancel, c.OPEN_RECEIPT: r.open_receipt,
    c.SEND_TLV: r.send_tlv, c.CORRECTION_BEGIN: r.correction_begin,
    c.CORRECTION: r.correction, c.CLOSE_V2: r.close_v2, c.OPERATION_V2: r.operation_v2,
    c.CHECK_MARKING: r.check_marking, c.BIND_MARKING: r.bind_marking,
    c.ACCEPT_MARKING: r.accept_marking,
}
