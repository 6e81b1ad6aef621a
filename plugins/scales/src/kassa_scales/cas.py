"""CAS PD-II / PDN ASCII ECR protocol: the host polls ``W``, the scale answers one
18-byte frame ``STX "ST,GS,+  1.500kg" CR``.

Source: fiscal.md §5.1 (``HFedorovskyi/electron-labelpilot:protocols/cas.js``, 9600 baud;
a Kotlin parser citing an 18-byte frame). Status ST stable, US unstable, OL overload;
GS gross, NT net. The AD/ER "type 1" ENQ/ACK/DC1 variant is unverified and not built."""

from __future__ import annotations

import re
from decimal import Decimal

from kassa_scales.reading import ProtocolError, Reading

STX, CR = 0x02, 0x0D
POLL = b"W"
TARE = b"T"  # the PD-II "Type 5" variant's tare key; the reply is the next weight frame
FRAME_LEN = 18
_BODY = re.compile(rb"\x02(ST|US|OL),(GS|NT),([+-])([ 0-9.]{7})(kg|lb| g)\r")


def decode(frame: bytes) -> Reading:
    m = _BODY.fullmatch(frame)
    if m is None:
        raise ProtocolError(f"not a CAS weight frame: {frame[:24]!r}")
    status, _kind, sign, digits, unit = m.groups()
    if status == b"OL":
        return Reading(grams=Decimal(0), stable=False, overload=True)
    try:
        value = Decimal(digits.decode().strip())
    except ArithmeticError:
        raise ProtocolError(f"not a number: {digits!r}") from None
    grams = value * (1000 if unit == b"kg" else Decimal("453.59237") if unit == b"lb" else 1)
    if sign == b"-":
        return Reading(grams=-grams, stable=status == b"ST", underload=True)
    return Reading(grams=grams, stable=status == b"ST")


def encode(grams: Decimal, *, stable: bool = True, overload: bool = False,
           net: bool = False) -> bytes:
    """The scale's side, in kilograms with three decimals."""
    status = b"OL" if overload else b"ST" if stable else b"US"
    sign = b"-" if grams < 0 else b"+"
    digits = b"   .   " if overload else f"{abs(grams) / 1000:7.3f}".encode()
    if len(digits) != 7:
        raise ValueError(f"{grams} g does not fit a CAS frame")
    return bytes([STX]) + status + b"," + (b"NT" if net else b"GS") + b"," + sign + digits \
        + b"kg" + bytes([CR])
