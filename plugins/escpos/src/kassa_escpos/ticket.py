"""The one mapping from the core's ``PrintJob`` to ESC/POS bytes (built with python-escpos's
``Dummy`` printer), and kitchen tickets as ``PrintJob`` lines.

A job line is text, or a directive starting with ``::`` (the core's PrintJob carries only
lines, so codes and styles ride in them): ``::qr DATA``, ``::barcode EAN13 DIGITS``,
``::b TEXT`` (bold), ``::big TEXT`` (double size), ``::center TEXT``, ``::right TEXT``,
``::rule`` (a dashed line), ``::logo`` (the configured image). Any other ``::`` line is
printed as text: a slip line is never lost to a typo.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Sequence

from attrs import frozen
from escpos.printer import Dummy
from kassa.errors import Permanent
from kassa.model import PrintJob

from kassa_escpos.paper import Parser
from kassa_escpos.protocol import key_footer
from kassa_escpos.settings import PrinterSettings
from kassa_escpos.texts import say

BARCODES = {"EAN13": 13, "EAN8": 8, "UPC-A": 12, "CODE39": None, "CODE128": None, "ITF": None}


def render(job: PrintJob, key: str, s: PrinterSettings) -> bytes:
    """Every copy of ``job`` as one byte stream; each copy starts with ``ESC @`` (a clean
    state whatever a torn ticket left) and ends with its cut; the drawer kick comes last."""
    out = b""
    for copy in range(1, job.copies + 1):
        if job.raw is not None:
            out += job.raw
            if job.cut:
                out += b"\x1dV\x00"
            continue
        # a fresh Dummy per copy: its encoder must re-send ESC t after ESC @ reset it
        p = Dummy(profile=s.profile)
        p.hw("INIT")
        p.charcode(s.codepage)
        if s.print_key:
            p.set(font="b")
            p.text(key_footer(key, copy, job.copies) + "\n")
            p.set_with_default()
        for line in job.lines:
            _line(p, line, s)
        if job.cut:
            p.cut()
        out += p.output
    if job.open_drawer:
        p = Dummy(profile=s.profile)
        p.cashdraw(2)
        out += p.output
    return out


def check_raw(raw: bytes, s: PrinterSettings) -> None:
    """Raw bytes must parse as ESC/POS without unknown commands (they are the printer's own
    language; garbage would print as garbage)."""
    parser = Parser(status=lambda n: b"")
    parser.feed(raw)
    if parser.paper.flags:
        raise Permanent(say("escpos.bad_raw", s.locale, name=s.name,
                            what="; ".join(parser.paper.flags[:3])))


# characters CP866 lacks, as a cashier would write them (else python-escpos prints "?")
SUBSTITUTES = str.maketrans({"₽": "р.", "«": '"', "»": '"', "—": "-", "–": "-", "…": "..."})


def _line(p: Dummy, line: str, s: PrinterSettings) -> None:
    line = line.translate(SUBSTITUTES)
    if not line.startswith("::"):
        p.text(line + "\n")
        return
    word, _, arg = line[2:].partition(" ")
    if word == "qr" and arg:
        p.qr(arg, size=4, native=True)
    elif word == "barcode" and arg:
        kind, _, data = arg.partition(" ")
        kind = kind.upper()
        if kind not in BARCODES:
            raise Permanent(say("escpos.bad_line", s.locale, line=line,
                                reason="symbology " + kind))
        need = BARCODES[kind]
        if need is not None and (not data.isdigit() or len(data) not in (need - 1, need)):
            raise Permanent(say("escpos.bad_line", s.locale, line=line,
                                reason=f"{kind} takes {need} digits"))
        if kind == "CODE128":
            data = "{B" + data  # code set B: printable ASCII
        with contextlib.redirect_stdout(io.StringIO()):  # python-escpos prints its choice
            p.barcode(data, kind, function_type="B", check=False)
    elif word == "b":
        p.set(bold=True)
        p.text(arg + "\n")
        p.set_with_default()
    elif word == "big":
        p.set(double_width=True, double_height=True, bold=True)
        p.text(arg + "\n")
        p.set_with_default()
    elif word in ("center", "right"):
        p.set(align=word)
        p.text(arg + "\n")
        p.set_with_default()
    elif word == "rule":
        p.text("-" * s.width + "\n")
    elif word == "logo":
        if s.logo:
            p.image(s.logo, center=True)
    else:
        p.text(line + "\n")


@frozen(kw_only=True)
class KitchenItem:
    name: str
    quantity: str  # as the till shows it ("2", "0.5")
    comment: str = ""


KINDS = {"new": "НОВЫЙ ЗАКАЗ", "add": "ДОБАВКА", "cancel": "ОТМЕНА", "reprint": "ПОВТОР"}


@frozen(kw_only=True)
class KitchenTicket:
    """A service print (бегунок) for one station: fiscal.md §4 (ticket types, sequence
    number, order/table/waiter header). Its journal key is ``kitchen_key``."""

    kind: str  # new | add | cancel | reprint
    order: str
    station: str
    revision: int
    number: int  # the station's running ticket number
    table: str = ""
    waiter: str = ""
    time: str = ""
    items: Sequence[KitchenItem] = ()

    def job(self, copies: int = 1) -> PrintJob:
        return PrintJob(lines=tuple(self.lines()), copies=copies)

    def lines(self) -> Iterable[str]:
        yield f"::big {KINDS[self.kind]}"
        yield f"::b {self.station} № {self.number}"
        head = [f"Заказ {self.order}"] + ([f"стол {self.table}"] if self.table else [])
        yield ", ".join(head)
        if self.waiter or self.time:
            yield " ".join(x for x in (self.waiter, self.time) if x)
        yield "::rule"
        minus = "-" if self.kind == "cancel" else ""
        for item in self.items:
            yield f"::b {minus}{item.quantity} x {item.name}"
            if item.comment:
                yield f"   ! {item.comment}"
        yield "::rule"


def kitchen_key(order: str, station: str, revision: int) -> str:
    """The idempotency key per (order, station, revision) fiscal.md §4 asks for."""
    return f"kitchen:{order}:{station}:{revision}"
