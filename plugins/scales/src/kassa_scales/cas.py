"""CAS ECR protocols, a setting of the scale (``variant``):

- ``pdii`` (PD-II / PDN ASCII): the host polls ``W``, the scale answers one 18-byte frame
  ``STX "ST,GS,+  1.500kg" CR``. Source: fiscal.md §5.1
  (``HFedorovskyi/electron-labelpilot:protocols/cas.js``, 9600 baud; a Kotlin parser citing
  an 18-byte frame). Status ST stable, US unstable, OL overload; GS gross, NT net.
- ``type1`` (CAS AD / ER / SW "type 1"): host ``ENQ`` -> scale ``ACK`` (``NAK``: not ready,
  ask again) -> host ``DC1`` -> scale ``SOH STX STA SIGN W5..W0 UN1 UN2 BCC ETX EOT``
  (15 bytes). fiscal.md §5.1 gives the exchange and the field order (unverified there);
  the fields are as the CAS SW-II manual's "RS-232C Protocol" table lists them (STA ``S``
  stable / ``U`` unstable, SIGN ``-`` or space, six weight characters with the decimal
  point, unit ``kg``/``KG``/``LB``, BCC = XOR); that BCC covers STA..UN2 and that SOH may
  arrive as 0x81 is the r_keeper ``s_cas.dll`` driver page's reading. Overload is in no
  source: PROVISIONAL, a weight field reading ``OL``."""

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


# --- type 1 ------------------------------------------------------------------------------
SOH, ETX, EOT, ENQ, ACK, NAK, DC1 = 0x01, 0x03, 0x04, 0x05, 0x06, 0x15, 0x11
TYPE1_LEN = 15
_UNITS = {b"kg": Decimal(1000), b"lb": Decimal("453.59237"), b" g": Decimal(1),
          b"g ": Decimal(1)}


def bcc(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def decode_type1(frame: bytes) -> Reading:
    """One ``SOH STX STA SIGN W(6) UN(2) BCC ETX EOT`` frame."""
    if len(frame) != TYPE1_LEN or frame[0] not in (SOH, SOH | 0x80) or frame[1] != STX \
            or frame[13] != ETX or frame[14] != EOT:
        raise ProtocolError(f"not a CAS type-1 frame: {frame[:24].hex(' ')}")
    body = frame[2:12]
    if frame[12] != bcc(body):
        raise ProtocolError(f"BCC {frame[12]:02x} != {bcc(body):02x}")
    sta, sign, digits, unit = body[0:1], body[1:2], body[2:8], body[8:10]
    if sta not in (b"S", b"U") or sign not in (b" ", b"-"):
        raise ProtocolError(f"status {sta!r} / sign {sign!r}")
    if digits.strip() == b"OL":  # PROVISIONAL (see above)
        return Reading(grams=Decimal(0), stable=False, overload=True)
    factor = _UNITS.get(unit.lower())
    if factor is None:
        raise ProtocolError(f"unit {unit!r}")
    text = digits.decode("ascii", "replace").strip()
    if not text or text.count(".") > 1 or not text.replace(".", "").isdigit():
        raise ProtocolError(f"not a weight: {digits!r}")
    grams = Decimal(text) * factor
    if sign == b"-":
        return Reading(grams=-grams, stable=sta == b"S", underload=True)
    return Reading(grams=grams, stable=sta == b"S")


def encode_type1(grams: Decimal, *, stable: bool = True, overload: bool = False,
                 unit: bytes = b"kg") -> bytes:
    """The scale's side: kilograms as ``99.999`` (five digits and the point)."""
    digits = b"  OL  " if overload else f"{abs(grams) / 1000:06.3f}".encode()
    if len(digits) != 6:
        raise ValueError(f"{grams} g does not fit a CAS type-1 frame")
    body = (b"U" if overload or not stable else b"S") + (b"-" if grams < 0 else b" ") \
        + digits + unit
    return bytes([SOH, STX]) + body + bytes([bcc(body), ETX, EOT])
