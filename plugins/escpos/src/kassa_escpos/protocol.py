"""ESC/POS facts the driver and the emulator share: real-time status (``DLE EOT n``) and
the code pages by ``ESC t n``.

Sources: ``python-escpos/python-escpos:src/escpos/constants.py`` (``RT_STATUS_*``,
``RT_MASK_*``) and /work/shared/protocols/fiscal.md §4; the bit layout of the three status
bytes is Epson's ESC/POS reference for ``DLE EOT`` (n=1 printer, n=2 offline cause, n=4 roll
paper sensor), which python-escpos's masks follow.
"""

from __future__ import annotations

from attrs import frozen

DLE, EOT, ESC, GS = 0x10, 0x04, 0x1B, 0x1D
STATUS_PRINTER, STATUS_OFFLINE, STATUS_PAPER = 1, 2, 4
STATUS_QUERY = bytes([DLE, EOT, STATUS_PRINTER, DLE, EOT, STATUS_OFFLINE, DLE, EOT, STATUS_PAPER])
FIXED = 0x12  # bits 1 and 4 are always set, bits 0 and 7 clear, in every status byte

# n=1 printer status
DRAWER_PIN3 = 0x04
OFFLINE = 0x08
# n=2 offline cause
COVER_OPEN = 0x04
FEED_BUTTON = 0x08
STOPPED_PAPER_END = 0x20
ERROR = 0x40
# n=4 roll paper sensor (two bits each: both set means the condition)
NEAR_END = 0x0C
PAPER_END = 0x60

# ESC t n -> Python codec. 17 is PC866 on Epson (fiscal.md §4: "unverified per model, use the
# printer profile"); the rest are the common Epson table entries the profiles agree on.
CODE_PAGES: dict[int, str] = {0: "cp437", 2: "cp850", 3: "cp860", 16: "cp1252", 17: "cp866",
                              18: "cp852", 19: "cp858", 46: "cp1251"}
DEFAULT_CODE_PAGE = 0  # ESC @ resets to table 0


@frozen
class PrinterState:
    """What a printer says about itself; the emulator answers from one, the driver reads one."""

    online: bool = True
    cover_open: bool = False
    paper_near_end: bool = False
    paper_out: bool = False
    error: bool = False
    drawer_open: bool = False

    def answer(self, n: int) -> bytes:
        """The one status byte a printer sends for ``DLE EOT n`` (n in 1, 2, 4)."""
        b = FIXED
        if n == STATUS_PRINTER:
            b |= (DRAWER_PIN3 if self.drawer_open else 0) | (0 if self.ready else OFFLINE)
        elif n == STATUS_OFFLINE:
            b |= ((COVER_OPEN if self.cover_open else 0)
                  | (STOPPED_PAPER_END if self.paper_out else 0) | (ERROR if self.error else 0))
        elif n == STATUS_PAPER:
            b |= (NEAR_END if self.paper_near_end or self.paper_out else 0) | (
                PAPER_END if self.paper_out else 0)
        else:
            raise ValueError(f"DLE EOT {n} is not a status request this printer answers")
        return bytes([b])

    @property
    def ready(self) -> bool:
        return self.online and not (self.cover_open or self.paper_out or self.error)

    @classmethod
    def read(cls, printer: int, offline: int, paper: int) -> PrinterState:
        """Decode the three answers to ``STATUS_QUERY``; a byte whose fixed bits are wrong is
        not a status answer (garbage on the line)."""
        for b in (printer, offline, paper):
            if b & 0x93 != FIXED:
                raise ValueError(f"byte 0x{b:02x} is not a DLE EOT answer")
        return cls(online=not printer & OFFLINE, cover_open=bool(offline & COVER_OPEN),
                   paper_near_end=paper & NEAR_END == NEAR_END,
                   paper_out=paper & PAPER_END == PAPER_END or bool(offline & STOPPED_PAPER_END),
                   error=bool(offline & ERROR), drawer_open=bool(printer & DRAWER_PIN3))


def key_footer(key: str, copy: int, copies: int) -> str:
    """The last line of every ticket (font B): the journal key, so a ticket on paper names its
    action and the emulator can tell a double print. ``#`` starts it."""
    return f"#{key}" + (f" {copy}/{copies}" if copies > 1 else "")


__all__ = ["CODE_PAGES", "STATUS_QUERY", "PrinterState", "key_footer"]
