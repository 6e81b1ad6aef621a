"""Every numeric field FarCards-HTTP sends, with its range; a value outside it is a refusal
(``Refused``: the text the till shows), never a crash and never a posting.

| field | where | range | why |
|---|---|---|---|
| Card | QRY, TransactionsEx | 1 .. 2^63-1 | Int64 in the ExtDLL ABI (§3.2); 0 is no card |
| Restaurant | QRY, TransactionsEx | 0 .. 999 999 999 | the 9-digit restaurant code (§1.5) |
| UnitNo, RKUnit, RKCheck, Account | QRY, TransactionsEx | 0 .. 2^32-1 | DWORD (§3.2) |
| RKDate | TransactionsEx | 0 .. 2 958 465 | days since 1899-12-30, up to 9999-12-31 |
| Kind | TransactionsEx | 0 .. 3 | the Kind table (§3.2) |
| Summa | TransactionsEx | -MAX_AMOUNT .. MAX_AMOUNT kopecks | see MAX_AMOUNT |
| LINE sum, price | INPBUF | 0 .. MAX_AMOUNT kopecks, at most 2 decimals | decimal roubles (§3.5) |
| LINE quantity | INPBUF | 0 .. 99 999.999, at most 3 decimals | the core's quantities |
| transactions in one batch | TransactionsEx | 1 .. 256 | a check has a few cards |

MAX_AMOUNT (10^11 kopecks, a billion roubles) is far above any check and far below what a
ledger's 64-bit integers hold after any number of postings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

MAX_CARD = 2**63 - 1
MAX_DWORD = 2**32 - 1
MAX_RESTAURANT = 999_999_999
MAX_RKDATE = 2_958_465
MAX_AMOUNT = 10**11
MAX_QUANTITY = Decimal("99999.999")
MAX_BATCH = 256
_DECIMAL = re.compile(r"^-?\d{1,15}(\.\d+)?$")  # no exponent, no NaN/Infinity, no spaces


class Refused(ValueError):
    """The request is refused; ``str()`` is the sentence the till shows (English; the door
    words it for the till's locale with ``field``/``value`` when it has a text for it)."""

    def __init__(self, text: str, *, code: str = "bad_request") -> None:
        super().__init__(text)
        self.code = code


def integer(el: ET.Element, name: str, lo: int, hi: int, default: int | None = None) -> int:
    raw = (el.get(name) or "").strip()
    if raw == "":
        if default is None:
            raise Refused(f"<{el.tag}> needs the {name} attribute")
        return default
    if not re.fullmatch(r"-?\d{1,25}", raw):
        raise Refused(f"<{el.tag} {name}={raw[:40]!r}>: not a whole number")
    value = int(raw)
    if not lo <= value <= hi:
        raise Refused(f"<{el.tag} {name}={raw[:40]}>: out of range {lo}..{hi}",
                      code="out_of_range")
    return value


def _decimal(el: ET.Element, name: str, default: str, what: str) -> Decimal:
    raw = (el.get(name) or default).strip()
    if not _DECIMAL.match(raw):
        raise Refused(f"<{el.tag} uni={el.get('uni', '?')}> {name}={raw[:40]!r}: not {what}")
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise Refused(f"<{el.tag}> {name}={raw[:40]!r}: not {what}") from None


def roubles(el: ET.Element, name: str, default: str = "0") -> int:
    """Decimal roubles (INPBUF) -> kopecks in 0..MAX_AMOUNT; more than 2 decimals refused."""
    value = _decimal(el, name, default, "an amount in roubles (e.g. 123.45)")
    kop = value * 100
    if kop != kop.to_integral_value():
        raise Refused(f"<{el.tag} uni={el.get('uni', '?')}> {name}={value}: more than two "
                      "decimals (kopecks are the smallest unit)")
    if not 0 <= kop <= MAX_AMOUNT:
        raise Refused(f"<{el.tag} uni={el.get('uni', '?')}> {name}={value}: out of range "
                      f"0..{MAX_AMOUNT // 100} roubles", code="out_of_range")
    return int(kop)


def quantity(el: ET.Element, name: str = "quantity") -> Decimal:
    value = _decimal(el, name, "1", "a quantity (e.g. 1.5)")
    if value != value.quantize(Decimal("0.001")) or not 0 <= value <= MAX_QUANTITY:
        raise Refused(f"<{el.tag} uni={el.get('uni', '?')}> {name}={value}: out of range "
                      f"0..{MAX_QUANTITY} with at most 3 decimals", code="out_of_range")
    return value
