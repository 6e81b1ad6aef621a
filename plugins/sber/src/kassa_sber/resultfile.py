"""The files an ``sb_pilot`` run leaves in its working folder: the slip ``p`` and the result
``e``, both IBM866 (fiscal.md §6.1). Stdlib only: the emulator imports it too.

The slip is free text. The layout of ``e`` is NOT in any source we have (fiscal.md §13 q.7):
we chose one line per ``auth_answer`` field, in the order of ``PinPad.Pilot_nt.pas``
(``TAuthAnswer`` then the ``AuthCode``/``CardID``/``ErrorCode``/``TransDate``/
``TransNumber``/``RRN`` extensions), then ``TerminalID``; after them, for the control tape
(TType 9) and the close of day (TType 7), ``T;...`` rows (transactions) and ``S;...`` rows
(totals). docs/plugins/sber.md repeats this; change it here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

ENCODING = "cp866"  # IBM866
SLIP = "p"
RESULT = "e"
APPROVED_WORD = "ОДОБРЕНО"  # integrators look for it in the slip (fiscal.md §6.1)

HEADER = ("ErrorCode", "TType", "Amount", "RCode", "AMessage", "CType", "AuthCode", "CardID",
          "TransDate", "TransNumber", "RRN", "TerminalID")
DATE_FORMAT = "%d.%m.%Y %H:%M:%S"  # TransDate[20]: our choice (the field's format is unknown)
TAPE_FIELDS = ("n", "ttype", "amount", "rcode", "auth", "card", "ctype", "rrn", "orig_rrn",
               "at", "state", "batch")


class Garbled(ValueError):
    """The ``e`` file is not what an sb_pilot run writes."""


@dataclass
class Answer:
    """One run's ``e``: the ``auth_answer`` fields, the tape rows and the totals."""

    error_code: int
    ttype: int
    amount: int
    rcode: str = ""
    message: str = ""
    ctype: int = 0
    auth_code: str = ""
    card_id: str = ""
    trans_date: str = ""
    trans_number: int = 0
    rrn: str = ""
    terminal_id: str = ""
    tape: list[dict[str, str]] = field(default_factory=list)
    totals: list[tuple[int, int, int]] = field(default_factory=list)  # (ttype, count, kop)


def _clean(value: object, width: int | None = None) -> str:
    text = str(value).replace("\n", " ").replace("\r", " ").replace(";", ",")
    return text[:width] if width else text


def dump(a: Answer) -> bytes:
    # widths are the char arrays' sizes less the NUL (AMessage[16] has none)
    lines = [str(a.error_code), str(a.ttype), str(a.amount), _clean(a.rcode, 2),
             _clean(a.message, 16), str(a.ctype), _clean(a.auth_code, 6),
             _clean(a.card_id, 24), _clean(a.trans_date, 19), str(a.trans_number),
             _clean(a.rrn, 12), _clean(a.terminal_id, 8)]
    for row in a.tape:
        lines.append(";".join(["T", *(_clean(row.get(k, "")) for k in TAPE_FIELDS)]))
    for ttype, count, kop in a.totals:
        lines.append(f"S;{ttype};{count};{kop}")
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING, errors="replace")


def _int(lines: Sequence[str], i: int) -> int:
    raw = lines[i].strip()
    if not raw.lstrip("-").isdigit():
        raise Garbled(f"line {i + 1} ({HEADER[i]}) is {raw[:20]!r}, not a number")
    return int(raw)


def load(data: bytes) -> Answer:
    """Parse ``e``; ``Garbled`` with the first thing that is wrong."""
    if not data.strip():
        raise Garbled("the file is empty")
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as exc:  # cp866 maps every byte; kept for other encodings
        raise Garbled(f"not IBM866 text ({exc})") from None
    if "\x00" in text:
        raise Garbled("it holds NUL bytes (a binary file, or written half)")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < len(HEADER):
        raise Garbled(f"{len(lines)} lines, at least {len(HEADER)} expected")
    a = Answer(error_code=_int(lines, 0), ttype=_int(lines, 1), amount=_int(lines, 2),
               rcode=lines[3].strip(), message=lines[4].rstrip(), ctype=_int(lines, 5),
               auth_code=lines[6].strip(), card_id=lines[7].strip(),
               trans_date=lines[8].strip(), trans_number=_int(lines, 9),
               rrn=lines[10].strip(), terminal_id=lines[11].strip())
    for n, line in enumerate(lines[len(HEADER):], start=len(HEADER) + 1):
        parts = line.split(";")
        if parts[0] == "T" and len(parts) == len(TAPE_FIELDS) + 1:
            a.tape.append(dict(zip(TAPE_FIELDS, parts[1:], strict=True)))
        elif parts[0] == "S" and len(parts) == 4 and all(p.isdigit() for p in parts[1:]):
            a.totals.append((int(parts[1]), int(parts[2]), int(parts[3])))
        else:
            raise Garbled(f"line {n} is {line[:30]!r}, neither a T; nor an S; row")
    return a


def read_slip(data: bytes) -> str:
    return data.decode(ENCODING, errors="replace").replace("\r\n", "\n")


def write_slip(lines: Sequence[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING, errors="replace")
