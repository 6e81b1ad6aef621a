"""USB HID POS scanners read raw (``/dev/hidrawN``): the bar code scanner input report of the
HID Point of Sale Usage Tables 1.02 (usage page 0x8C, "Scanned Data Report") in the fixed
64-byte layout scanner makers document (Access-IS LSR116/LSR118/ATR110 manuals, appendix "HID
reports"; fiscal.md §7 names HID POS but gives no layout):

    byte 0      report ID (2)
    byte 1      length of the data in this report (0..56)
    bytes 2-4   AIM symbology identifier (``]`` + code character + modifier; zeros when off)
    bytes 5-60  data, zero padded (GS 0x1D kept: it is binary, not keystrokes)
    byte 61     a further (maker's own) symbology identifier
    byte 62     reserved
    byte 63     bit 0: more data follows in the next report ("data continued")

A code longer than 56 bytes spans several reports; the last one has bit 0 clear. Linux
hidraw gives one whole report per read, with its report ID first; a pty or fifo standing in
for it may cut reports anywhere, so the bytes are framed by size, not by read."""

from __future__ import annotations

from attrs import define, field, frozen
from kassa.model import Symbology

REPORT_ID = 2
REPORT_SIZE = 64
DATA_MAX = 56  # bytes 5..60
_DATA_AT = 5
_MORE = 0x01

# AIM code characters (ISO/IEC 15424) -> what the code is; d2 and Q3 carry GS1 data (FNC1)
_AIM: dict[str, Symbology] = {
    "]E0": Symbology.EAN13, "]E4": Symbology.EAN8, "]E3": Symbology.EAN13,
    "]I0": Symbology.ITF14, "]I1": Symbology.ITF14, "]C0": Symbology.CODE128,
    "]C1": Symbology.CODE128, "]A0": Symbology.CODE39, "]d1": Symbology.DATAMATRIX,
    "]d2": Symbology.GS1_DATAMATRIX, "]L0": Symbology.PDF417, "]L2": Symbology.PDF417}


class BadReport(ValueError):
    """A report that is not a HID POS scanned-data report; ``reason`` is stable."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


@frozen
class Report:
    report_id: int
    data: bytes
    aim: str  # "" when the scanner sends no AIM identifier
    further: int
    more: bool


@frozen
class HidScan:
    """One whole code from one or more reports."""

    data: bytes
    aim: str

    @property
    def symbology(self) -> Symbology | None:
        """From the AIM identifier; None when it is absent or says nothing we know (QR and
        the rest are told by their code character only)."""
        if self.aim.startswith("]Q"):
            return Symbology.QR
        return _AIM.get(self.aim)


def parse(raw: bytes, *, report_id: int = REPORT_ID) -> Report:
    """One report of ``REPORT_SIZE`` bytes -> its fields; ``BadReport`` if it is not one."""
    if len(raw) != REPORT_SIZE:
        raise BadReport("size", f"a report is {REPORT_SIZE} bytes, this one {len(raw)}")
    if raw[0] != report_id:
        raise BadReport("report_id", f"report ID {raw[0]}, expected {report_id}")
    length = raw[1]
    if length > DATA_MAX:
        raise BadReport("length", f"data length {length} over {DATA_MAX}")
    aim_bytes = raw[2:5]
    if aim_bytes == b"\0\0\0":
        aim = ""
    elif aim_bytes[:1] == b"]" and all(0x21 <= b < 0x7F for b in aim_bytes):
        aim = aim_bytes.decode("ascii")
    else:
        raise BadReport("aim", f"symbology identifier {aim_bytes.hex(' ')} is not AIM")
    if raw[63] & ~_MORE:
        raise BadReport("flags", f"byte 63 is {raw[63]:#04x}: only bit 0 is defined")
    return Report(report_id=raw[0], data=bytes(raw[_DATA_AT:_DATA_AT + length]), aim=aim,
                  further=raw[61], more=bool(raw[63] & _MORE))


def encode(data: bytes, *, aim: str = "", further: int = 0,
           report_id: int = REPORT_ID) -> list[bytes]:
    """The reports a HID POS scanner sends for ``data`` (the emulator's side)."""
    if aim and (len(aim) != 3 or not aim.startswith("]")):
        raise ValueError(f"an AIM identifier is ']' and two characters, not {aim!r}")
    chunks = [data[i:i + DATA_MAX] for i in range(0, len(data), DATA_MAX)] or [b""]
    out: list[bytes] = []
    for n, chunk in enumerate(chunks):
        report = bytearray(REPORT_SIZE)
        report[0], report[1] = report_id, len(chunk)
        report[2:5] = aim.encode("ascii") if aim else b"\0\0\0"
        report[_DATA_AT:_DATA_AT + len(chunk)] = chunk
        report[61] = further
        report[63] = _MORE if n < len(chunks) - 1 else 0
        out.append(bytes(report))
    return out


@define
class Assembler:
    """Bytes as they are read -> whole codes. A report that is not one is skipped (counted
    in ``bad``, its reason kept); a code whose continuation never comes (``silence()``
    while one is open, or a cut report) is dropped and counted in ``torn``: never handed
    on in part."""

    report_id: int = REPORT_ID
    max_bytes: int = 4096  # a code longer than this is garbage, not a code
    buffer: bytearray = field(factory=bytearray)
    parts: list[bytes] = field(factory=list)
    aim: str = ""
    bad: int = 0
    torn: int = 0
    last_problem: str | None = None  # "bad:<reason>" or "torn", until the next good code

    def feed(self, data: bytes) -> list[HidScan]:
        self.buffer += data
        out: list[HidScan] = []
        while len(self.buffer) >= REPORT_SIZE:
            raw = bytes(self.buffer[:REPORT_SIZE])
            del self.buffer[:REPORT_SIZE]
            try:
                report = parse(raw, report_id=self.report_id)
            except BadReport as exc:
                self._bad(exc.reason)  # a code around a bad report cannot be trusted
                continue
            if not self.parts:
                self.aim = report.aim
            self.parts.append(report.data)
            if sum(map(len, self.parts)) > self.max_bytes:
                self._bad("too_long")
                continue
            if not report.more:
                code = b"".join(self.parts)
                self.parts.clear()
                if code:
                    out.append(HidScan(data=code, aim=self.aim))
                    self.last_problem = None
        return out

    def silence(self) -> None:
        """Nothing read for the timeout: an open code or a part of a report is torn."""
        if self.buffer or self.parts:
            self.buffer.clear()
            self.parts.clear()
            self.torn += 1
            self.last_problem = "torn"

    def _bad(self, reason: str) -> None:
        self.parts.clear()
        self.bad += 1
        self.last_problem = f"bad:{reason}"
