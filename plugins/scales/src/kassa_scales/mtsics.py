"""Mettler Toledo MT-SICS level 0/1: ASCII commands and replies ended by CR LF.

Source: fiscal.md §5.2; ``instrumentkit/InstrumentKit:src/instruments/mettler_toledo/mt_sics.py``
(the reply layout ``S S     100.00 g``; status letters S stable, D dynamic, I busy, + / -
over / underload; ``ES`` / ``ET`` / ``EL`` errors)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from kassa_scales.reading import ProtocolError, Reading, ScaleRefused

EOL = b"\r\n"
UNITS = {"g": Decimal(1), "kg": Decimal(1000), "mg": Decimal("0.001")}
ERRORS = {"ES": "syntax error", "ET": "transmission error", "EL": "logical error"}


def encode(command: str) -> bytes:
    """``SI`` -> ``b"SI\\r\\n"`` (commands are ASCII, upper case)."""
    return command.encode("ascii") + EOL


def split(line: bytes) -> list[str]:
    try:
        text = line.rstrip(b"\r\n").decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError(f"not ASCII: {line[:32]!r}") from None
    return text.split()


def decode_weight(line: bytes, *, command: str = "S") -> Reading:
    """A reply to ``S`` / ``SI`` (or ``TA`` for the tare, ``T`` after a tare)."""
    parts = split(line)
    if not parts:
        raise ProtocolError("an empty line")
    if parts[0] in ERRORS:
        raise ScaleRefused(parts[0], ERRORS[parts[0]])
    if parts[0] != command or len(parts) < 2:
        raise ProtocolError(f"not a reply to {command}: {line[:32]!r}")
    status = parts[1]
    if status == "I":
        raise ScaleRefused("I", "command not executable now (busy)")
    if status == "L":
        raise ScaleRefused("L", "logical error (a wrong parameter)")
    if status == "+":
        return Reading(grams=Decimal(0), stable=False, overload=True)
    if status == "-":
        return Reading(grams=Decimal(0), stable=False, underload=True)
    if status not in ("S", "D", "A") or len(parts) != 4:
        raise ProtocolError(f"unknown reply {line[:32]!r}")
    try:
        value = Decimal(parts[2])
    except InvalidOperation:
        raise ProtocolError(f"not a number: {parts[2]!r}") from None
    if parts[3] not in UNITS:
        raise ProtocolError(f"unknown unit {parts[3]!r}")
    return Reading(grams=value * UNITS[parts[3]], stable=status != "D")


def encode_weight(command: str, status: str, grams: Decimal, unit: str = "kg",
                  places: int = 3) -> bytes:
    """The scale's side: ``S S      1.500 kg`` (value right-aligned in 10 characters)."""
    value = grams / UNITS[unit]
    return f"{command} {status} {value:>10.{places}f} {unit}".encode("ascii") + EOL
