"""Cutting a scanner's byte stream into codes: CR / CRLF / LF terminated, or no terminator
and a silence (inter-character timeout, 50-100 ms per fiscal.md §7) that ends the code."""

from __future__ import annotations

from attrs import define, field


@define
class Framer:
    end: bytes  # b"" for scanners that send no terminator
    min_length: int = 3
    buffer: bytearray = field(factory=bytearray)
    torn: int = 0  # partial codes dropped at a silence (terminated mode)
    noise: int = 0  # reads thrown away as noise

    def feed(self, data: bytes) -> list[bytes]:
        """Bytes as they arrive -> the complete codes in them."""
        self.buffer += data
        if not self.end:
            return []
        # CRLF splits on CR: the LF left at the next code's start is cleaned away with noise
        split = b"\n" if self.end == b"\n" else b"\r"
        out: list[bytes] = []
        while (cut := self.buffer.find(split)) >= 0:
            skip = 1
            line = bytes(self.buffer[:cut])
            del self.buffer[:cut + skip]
            code = self._clean(line)
            if code is not None:
                out.append(code)
        return out

    def silence(self) -> bytes | None:
        """No byte for the char timeout: the code (no terminator) or a torn read (dropped)."""
        if not bytes(self.buffer).strip(b"\r\n"):
            self.buffer.clear()  # the LF of a CRLF pair arriving late is no code
            return None
        line = bytes(self.buffer)
        self.buffer.clear()
        if self.end:
            self.torn += 1
            return None
        return self._clean(line)

    def _clean(self, line: bytes) -> bytes | None:
        # noise on a line: NUL and 0xFF from a port glitch, stray LF of a CRLF pair; GS stays
        kept = bytes(b for b in line if b == 0x1D or 0x20 <= b < 0x7F or (b >= 0x80 and b != 0xFF))
        if len(kept) < self.min_length:
            if line:
                self.noise += 1
            return None
        return kept
