"""Code 128 barcodes (set C for digit strings, set B otherwise) rendered as a PNG, so the bot can
send a virtual card the till's scanner reads. No imaging library needed."""

from __future__ import annotations

import struct
import zlib

# bar/space widths of symbols 0..105, then STOP (ISO/IEC 15417 table)
PATTERNS = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 "
    "122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 "
    "321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 "
    "211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 "
    "213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 "
    "121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 "
    "241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 "
    "412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 "
    "211214 211232 2331112").split()
START_B, START_C, STOP = 104, 105, 106


def symbols(data: str) -> list[int]:
    """Symbol values including start, checksum and stop."""
    if not data:
        raise ValueError("nothing to encode")
    if data.isdigit() and len(data) % 2 == 0:
        values = [START_C] + [int(data[i:i + 2]) for i in range(0, len(data), 2)]
    else:
        if any(not 32 <= ord(c) <= 126 for c in data):
            raise ValueError("Code 128 set B encodes printable ASCII only")
        values = [START_B] + [ord(c) - 32 for c in data]
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    return [*values, check, STOP]


def modules(data: str, quiet: int = 10) -> list[bool]:
    """Dark (True) / light modules, quiet zones included."""
    out = [False] * quiet
    for v in symbols(data):
        dark = True
        for w in PATTERNS[v]:
            out += [dark] * int(w)
            dark = not dark
    return out + [False] * quiet


def png(data: str, *, scale: int = 3, height: int = 80) -> bytes:
    row = bytes(0 if m else 255 for m in modules(data) for _ in range(scale))
    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", len(row), height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))
