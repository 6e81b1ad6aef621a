"""The emulator's parser: an ESC/POS byte stream in, a paper model out (lines with their
style, text decoded by the selected code page, QR/barcode payloads, raster images, cuts and
drawer pulses). Commands and their lengths follow the ESC/POS reference as python-escpos
emits it (``python-escpos/python-escpos:src/escpos/constants.py``, fiscal.md §4); a command
this table does not know is flagged with its offset, never silently printed as text.

The parser is incremental: ``feed`` may stop in the middle of a command and go on with the
next chunk. ``DLE EOT n`` is answered through ``status`` (real-time, even while offline).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from attrs import define, evolve, field, frozen

from kassa_escpos.protocol import CODE_PAGES, DEFAULT_CODE_PAGE, DLE, ESC, GS

# ESC <c> followed by this many argument bytes (the commands python-escpos and the usual
# drivers send); the meaning of each is applied in ``Parser._esc``.
ESC_ARGS = {b"@": 0, b"!": 1, b"E": 1, b"-": 1, b"M": 1, b"a": 1, b"t": 1, b"{": 1,
            b"d": 1, b"J": 1, b"p": 3, b"2": 0, b"3": 1, b"G": 1, b"V": 1, b"R": 1,
            b" ": 1, b"$": 2, b"i": 0, b"m": 0, b"c": 2}
GS_ARGS = {b"!": 1, b"b": 1, b"B": 1, b"h": 1, b"w": 1, b"f": 1, b"H": 1, b"L": 2, b"W": 2,
           b"a": 1}
BARCODES_A = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "NW7"}
BARCODES_B = {65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF",
              71: "NW7", 72: "CODE93", 73: "CODE128", 74: "GS1-128"}
CUTS = {0: "full", 48: "full", 1: "partial", 49: "partial"}
CUTS_FEED = {65: "full", 66: "partial"}  # GS V m n: feed n, then cut


@frozen
class Style:
    bold: bool = False
    underline: bool = False
    font: str = "a"
    align: str = "left"
    width: int = 1
    height: int = 1
    inverse: bool = False
    upside_down: bool = False


@frozen
class Line:
    text: str
    style: Style = Style()


@frozen
class Code:
    kind: str  # "qr" | "pdf417" | a barcode symbology ("EAN13", "CODE128", ...)
    data: str


@define
class Ticket:
    """What came out between two cuts (``cut`` None: the link dropped before the cut)."""

    lines: list[Line] = field(factory=list)
    codes: list[Code] = field(factory=list)
    images: list[tuple[int, int]] = field(factory=list)  # (width, height) in dots
    feed: int = 0
    cut: str | None = None

    @property
    def key(self) -> str | None:
        """The journal key of the key footer (protocol.key_footer), if the ticket has one."""
        for line in reversed(self.lines):
            if line.style.font == "b" and line.text.startswith("#"):
                return line.text[1:]
        return None

    @property
    def empty(self) -> bool:
        return not (self.lines or self.codes or self.images)

    def render(self) -> str:
        out = [f"{'*' if ln.style.bold else ' '}{ln.text}" for ln in self.lines]
        out += [f" [{c.kind}: {c.data}]" for c in self.codes]
        out += [f" [image {w}x{h}]" for w, h in self.images]
        return "\n".join([*out, f"--- {self.cut or 'NOT CUT (link dropped)'} cut ---"])


@define
class Paper:
    """Everything one printer printed, plus what it could not make sense of."""

    tickets: list[Ticket] = field(factory=list)
    current: Ticket = field(factory=Ticket)
    pulses: list[int] = field(factory=list)  # drawer pins kicked (2 or 5)
    flags: list[str] = field(factory=list)  # unknown / malformed commands, with offsets

    def tear(self) -> Ticket | None:
        """The link dropped: an uncut ticket is what it is (half printed)."""
        if self.current.empty:
            return None
        torn, self.current = self.current, Ticket()
        self.tickets.append(torn)
        return torn

    def keys(self) -> Counter[str]:
        return Counter(t.key for t in self.tickets if t.key is not None)

    def duplicates(self) -> list[str]:
        """Keys printed more than once: a double print (the emulator's own check)."""
        return sorted(k for k, n in self.keys().items() if n > 1)


class Incomplete(Exception):
    """The command continues in the next chunk."""


class Parser:
    """Feed bytes; ``paper`` fills in; ``on_ticket`` hears of each cut ticket."""

    def __init__(self, status: Callable[[int], bytes | None] | None = None,
                 on_ticket: Callable[[Ticket], None] | None = None,
                 paper: Paper | None = None,
                 paused: Callable[[], bool] | None = None) -> None:
        self.paper = paper or Paper()
        self.paused = paused or (lambda: False)  # stop after a command (the printer halted)
        self.status = status or (lambda n: None)
        self.on_ticket = on_ticket or (lambda t: None)
        self.buf = b""
        self.offset = 0  # of buf[0] in the whole stream
        self.init()
        self.text = ""
        self.qr: dict[str, bytes] = {}
        self.barcode_hri = 0

    def init(self) -> None:
        self.style = Style()
        self.codec = CODE_PAGES[DEFAULT_CODE_PAGE]

    def feed(self, data: bytes) -> bytes:
        """Parse ``data``; answer the real-time status requests in it (bytes to send back)."""
        self.buf += data
        answers = b""
        i = 0
        while i < len(self.buf):
            try:
                used, answer = self._one(self.buf, i)
            except Incomplete:
                break
            answers += answer
            i += used
            if self.paused():
                break
        self.buf = self.buf[i:]
        self.offset += i
        return answers

    def flush(self) -> None:
        """The link dropped: the half line is printed as far as it came, the rest is lost."""
        self._newline(only_if_text=True)
        self.buf = b""
        self.init()

    def flag(self, at: int, what: str) -> None:
        self.paper.flags.append(f"offset {self.offset + at}: {what}")

    def _need(self, b: bytes, i: int, n: int) -> bytes:
        if len(b) < i + n:
            raise Incomplete
        return b[i:i + n]

    def _one(self, b: bytes, i: int) -> tuple[int, bytes]:
        c = b[i]
        if c == 0x0A:
            self._newline()
            return 1, b""
        if c in (0x0D, 0x00):  # CR is ignored (no auto feed); NUL padding is harmless
            return 1, b""
        if c == 0x09:
            self.text += "\t"
            return 1, b""
        if c == 0x0C:
            self._newline(only_if_text=True)
            return 1, b""
        if c == ESC:
            return self._esc(b, i)
        if c == GS:
            return self._gs(b, i)
        if c == DLE:
            return self._dle(b, i)
        if c < 0x20 or c == 0x7F:
            self.flag(i, f"control byte 0x{c:02x}")
            return 1, b""
        j = i
        while j < len(b) and b[j] >= 0x20 and b[j] != 0x7F:
            j += 1
        self.text += b[i:j].decode(self.codec, errors="replace")
        return j - i, b""

    def _newline(self, only_if_text: bool = False) -> None:
        if only_if_text and not self.text:
            return
        self.paper.current.lines.append(Line(self.text, self.style))
        self.text = ""

    def _cut(self, kind: str) -> None:
        self._newline(only_if_text=True)
        ticket = self.paper.current
        ticket.cut = kind
        self.paper.tickets.append(ticket)
        self.paper.current = Ticket()
        self.on_ticket(ticket)

    def _esc(self, b: bytes, i: int) -> tuple[int, bytes]:
        cmd = self._need(b, i + 1, 1)
        if cmd not in ESC_ARGS:
            self.flag(i, f"unknown command ESC 0x{cmd[0]:02x}")
            return 2, b""
        args = self._need(b, i + 2, ESC_ARGS[cmd])
        n = args[0] if args else 0
        s = self.style
        if cmd == b"@":
            self._newline(only_if_text=True)
            self.init()
        elif cmd == b"!":
            self.style = evolve(s, font="b" if n & 1 else "a", bold=bool(n & 8),
                                height=2 if n & 16 else 1, width=2 if n & 32 else 1,
                                underline=bool(n & 128))
        elif cmd == b"E":
            self.style = evolve(s, bold=bool(n & 1))
        elif cmd == b"-":
            self.style = evolve(s, underline=n in (1, 2, 49, 50))
        elif cmd == b"M":
            self.style = evolve(s, font={0: "a", 48: "a", 1: "b", 49: "b"}.get(n, "c"))
        elif cmd == b"a":
            self.style = evolve(s, align={0: "left", 48: "left", 1: "center", 49: "center",
                                          2: "right", 50: "right"}.get(n, "left"))
        elif cmd == b"{":
            self.style = evolve(s, upside_down=bool(n & 1))
        elif cmd == b"t":
            if n in CODE_PAGES:
                self.codec = CODE_PAGES[n]
            else:
                self.flag(i, f"code page ESC t {n} is not in this printer's table")
        elif cmd == b"d":
            self._newline(only_if_text=True)
            self.paper.current.feed += n
        elif cmd == b"p":
            self.paper.pulses.append(2 if n in (0, 48) else 5)
        elif cmd in (b"i", b"m"):
            self._cut("full" if cmd == b"i" else "partial")
        return 2 + len(args), b""

    def _gs(self, b: bytes, i: int) -> tuple[int, bytes]:
        cmd = self._need(b, i + 1, 1)
        if cmd == b"V":
            m = self._need(b, i + 2, 1)[0]
            if m in CUTS:
                self._cut(CUTS[m])
                return 3, b""
            if m in CUTS_FEED:
                self.paper.current.feed += self._need(b, i + 3, 1)[0]
                self._cut(CUTS_FEED[m])
                return 4, b""
            self.flag(i, f"GS V {m}: no such cut")
            return 3, b""
        if cmd == b"k":
            return self._barcode(b, i)
        if cmd == b"(":
            head = self._need(b, i + 2, 3)
            size = head[1] | head[2] << 8
            body = self._need(b, i + 5, size)
            self._function(head[0:1], body, i)
            return 5 + size, b""
        if cmd == b"v":
            head = self._need(b, i + 2, 6)
            if head[0:1] != b"0":
                self.flag(i, "GS v: only raster mode 0 exists")
                return 3, b""
            wb, h = head[2] | head[3] << 8, head[4] | head[5] << 8
            self._need(b, i + 8, wb * h)
            self._newline(only_if_text=True)
            self.paper.current.images.append((wb * 8, h))
            return 8 + wb * h, b""
        if cmd in GS_ARGS:
            args = self._need(b, i + 2, GS_ARGS[cmd])
            if cmd == b"!":
                self.style = evolve(self.style, width=(args[0] >> 4) + 1,
                                    height=(args[0] & 15) + 1)
            elif cmd == b"B":
                self.style = evolve(self.style, inverse=bool(args[0] & 1))
            elif cmd == b"H":
                self.barcode_hri = args[0]
            return 2 + len(args), b""
        self.flag(i, f"unknown command GS 0x{cmd[0]:02x}")
        return 2, b""

    def _barcode(self, b: bytes, i: int) -> tuple[int, bytes]:
        m = self._need(b, i + 2, 1)[0]
        if m in BARCODES_A:
            end = b.find(b"\x00", i + 3)
            if end < 0:
                raise Incomplete
            data, used = b[i + 3:end], end + 1 - i
            kind = BARCODES_A[m]
        elif m in BARCODES_B:
            n = self._need(b, i + 3, 1)[0]
            data, used, kind = self._need(b, i + 4, n), 4 + n, BARCODES_B[m]
        else:
            self.flag(i, f"GS k {m}: unknown barcode system")
            return 3, b""
        self._newline(only_if_text=True)
        text = data.decode("ascii", errors="replace")
        if kind == "CODE128" and text[:2] in ("{A", "{B", "{C"):
            text = text[2:]  # the code set selector is not part of the payload
        self.paper.current.codes.append(Code(kind, text))
        return used, b""

    def _function(self, kind: bytes, body: bytes, i: int) -> None:
        """``GS ( k``: 2D codes (cn 49 QR, 48 PDF417); ``GS ( L``: graphics. Others are
        skipped by their length and flagged."""
        if kind == b"k" and len(body) >= 2 and body[0] in (48, 49):
            sym = "qr" if body[0] == 49 else "pdf417"
            fn = body[1]
            if fn == 80:  # store the data (m = 48 follows)
                self.qr[sym] = body[3:]
            elif fn == 81:  # print what was stored
                data = self.qr.pop(sym, None)
                if data is None:
                    self.flag(i, f"GS ( k: print {sym} with no data stored")
                    return
                self._newline(only_if_text=True)
                self.paper.current.codes.append(Code(sym, data.decode("utf-8", "replace")))
            return
        if kind == b"L":
            self._newline(only_if_text=True)
            self.paper.current.images.append((0, 0))
            return
        self.flag(i, f"GS ( {kind.decode('latin-1')}: function not supported")

    def _dle(self, b: bytes, i: int) -> tuple[int, bytes]:
        cmd = self._need(b, i + 1, 1)[0]
        if cmd == 0x04:  # DLE EOT n: real-time status
            n = self._need(b, i + 2, 1)[0]
            answer = self.status(n)
            if answer is None:
                self.flag(i, f"DLE EOT {n}: no such status")
                return 3, b""
            return 3, answer
        if cmd == 0x14:  # DLE DC4 fn m t: real-time drawer pulse (fn 1)
            args = self._need(b, i + 2, 3)
            if args[0] == 1:
                self.paper.pulses.append(2 if args[1] == 0 else 5)
            return 5, b""
        if cmd == 0x05:  # DLE ENQ n: real-time recovery request
            self._need(b, i + 2, 1)
            return 3, b""
        self.flag(i, f"unknown command DLE 0x{cmd:02x}")
        return 2, b""


__all__ = ["Code", "Line", "Paper", "Parser", "Style", "Ticket"]
