"""Barcodes a till scans: EAN-13, EAN-8, UPC-A, Code 128 text, and in-store codes.

GS1 rules (GS1 General Specifications, section 7.9.1 "Standard check digit calculations"):
the last digit is a mod-10 check digit over the others, weights 3 and 1 alternating from the
right. Section 1.4.1.2 "Restricted Circulation Numbers" and the GS1 Prefix table: prefixes
020-029 (12-digit UPC-A, 13 with the leading 0) and 200-299 are restricted circulation numbers
within a geographic region, 040-049 within a company; EAN-8 starting with 0 or 2 is a
restricted-circulation RCN-8. The local GS1 organisation (GS1 Russia for 460-469) leaves the
layout inside a 2x prefix to the shop, so it is configured per store as a ``Layout``.

No I/O: pure parsing, used on every scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

from attrs import frozen
from kassa.errors import UserError

_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "empty": "Пустой штрихкод",
        "check": "Неверная контрольная цифра в штрихкоде {code}",
        "length": "Штрихкод {code}: {length} цифр, а EAN-13, EAN-8 и UPC-A — это 13, 8 и 12",
        "text": "Штрихкод {code} содержит недопустимые символы",
        "long": "Штрихкод длиннее {limit} символов",
        "layout": "Неверный шаблон весового штрихкода «{layout}»: {why}",
        "prefix": "Неверный префикс весового штрихкода «{prefix}»: нужен префикс ограниченного"
                  " обращения (2…, 02…, 04…) или диапазон вида 20-24",
    },
    "en": {
        "empty": "The barcode is empty",
        "check": "Wrong check digit in barcode {code}",
        "length": "Barcode {code} has {length} digits; EAN-13, EAN-8 and UPC-A have 13, 8"
                  " and 12",
        "text": "Barcode {code} has characters a barcode cannot hold",
        "long": "The barcode is longer than {limit} characters",
        "layout": "Wrong weighed-goods barcode layout '{layout}': {why}",
        "prefix": "Wrong weighed-goods prefix '{prefix}': a restricted circulation prefix"
                  " (2..., 02..., 04...) or a range such as 20-24",
    },
}

CODE128_LIMIT = 48  # GS1-128 caps a symbol at 48 data characters; longer is a misread


class BarcodeError(UserError):
    """A scan that is not a valid barcode; ``str()`` is Russian, ``text("en")`` English."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        texts = _TEXTS.get(locale, _TEXTS["ru"])
        en = locale == "en"  # a (ru, en) pair is a detail said in both languages
        return texts[self.key].format(**{k: v[en] if isinstance(v, tuple) else v
                                         for k, v in self.params.items()})


class Symbology(StrEnum):
    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"  # kept as its 13-digit EAN form (leading 0)
    CODE128 = "code128"  # free text: the shop's own labels
    INSTORE = "instore"  # an EAN-13 in a configured 2x prefix: PLU + weight or price


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (the digits before it)."""
    rev = body[::-1]  # weight 3 on the digit next to the check digit, then 1, 3, ...
    total = 3 * sum(map(int, rev[0::2])) + sum(map(int, rev[1::2]))
    return -total % 10


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


def gtin_valid(code: str) -> bool:
    return code.isdigit() and len(code) in (8, 12, 13, 14) and \
        check_digit(code[:-1]) == ord(code[-1]) - 48


_LAYOUT_FIELDS = {"P": "prefix", "C": "plu", "W": "weight", "S": "price", "K": "check"}


@frozen
class Layout:
    """Where the fields sit in a 13-digit in-store code, written as letters:
    ``P`` prefix, ``C`` the item's PLU, ``W`` weight in grams, ``S`` price (the line's sum) in
    kopecks, ``K`` the check digit; spaces are ignored. ``PP CCCCC WWWWW K`` is the common
    scales label (GS1 Russia's recommendation for weighed goods; Shtrih-Print, CAS, Mettler
    default to it); ``PP CCCCC SSSSS K`` prints the price instead."""

    pattern: str
    plu: slice
    weight: slice | None
    price: slice | None

    @property
    def width(self) -> int:
        """How many digits the prefix has."""
        return len(self.pattern) - len(self.pattern.lstrip("P"))

    @classmethod
    def parse(cls, text: str) -> Layout:
        pattern = text.replace(" ", "").upper()
        def bad(ru: str, en: str) -> BarcodeError:
            return BarcodeError("layout", layout=text, why=(ru, en))

        if len(pattern) != 13:
            raise bad(f"{len(pattern)} знаков вместо 13", f"{len(pattern)} letters, not 13")
        width = len(pattern) - len(pattern.lstrip("P"))
        if not 1 <= width <= 3 or pattern.count("P") != width:
            raise bad("начинается с префикса: от одной до трёх P",
                      "starts with the prefix: one to three P")
        if not pattern.endswith("K") or pattern.count("K") != 1:
            raise bad("кончается одной K (контрольная цифра)", "ends with one K (check digit)")
        spans: dict[str, slice] = {}
        for letter in "CWS":
            where = [i for i, ch in enumerate(pattern) if ch == letter]
            if where:
                if where != list(range(where[0], where[-1] + 1)):
                    raise bad(f"буквы {letter} должны стоять подряд",
                              f"the {letter} letters must be together")
                spans[letter] = slice(where[0], where[-1] + 1)
        unknown = set(pattern) - set(_LAYOUT_FIELDS)
        if unknown:
            raise bad("допустимы буквы P, C, W, S, K", "the letters are P, C, W, S, K")
        if "C" not in spans:
            raise bad("нет PLU (C)", "no PLU (C)")
        if ("W" in spans) == ("S" in spans):
            raise bad("нужен ровно один из весов (W) или суммы (S)",
                      "exactly one of weight (W) or sum (S)")
        return cls(pattern, spans["C"], spans.get("W"), spans.get("S"))


DEFAULT_LAYOUTS = {"20-29": "PP CCCCC WWWWW K"}  # what most Russian shop scales print
_PREFIX = re.compile(r"(2\d{0,2}|0[24]\d?)(?:-(2\d{0,2}|0[24]\d?))?")


def layouts(config: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, Layout]:
    """``{"20-24": "PP CCCCC WWWWW K", "25": "PP CCCCC SSSSS K"}`` (or the same as pairs,
    as ``[[pos.barcode_prefixes]]`` gives them) -> a layout per prefix. A prefix that is not
    a restricted circulation number (2..., 02..., 04...: GS1 General Specifications 1.4.1.2)
    is refused: any other EAN-13 may be a real product's GTIN. A layout's ``P`` count is the
    prefix's length."""
    pairs = config.items() if isinstance(config, Mapping) else config
    out: dict[str, Layout] = {}
    for key, text in pairs:
        m = _PREFIX.fullmatch(key.replace(" ", ""))
        lo, hi = (m.group(1), m.group(2) or m.group(1)) if m else ("", "")
        if m is None or len(lo) != len(hi) or hi < lo:
            raise BarcodeError("prefix", prefix=key)
        layout = Layout.parse(text)
        if layout.width != len(lo):
            raise BarcodeError("layout", layout=text,
                               why=(f"префикс {key} — это {len(lo)} P, а не {layout.width}",
                                    f"prefix {key} takes {len(lo)} P, not {layout.width}"))
        for p in range(int(lo), int(hi) + 1):
            out[str(p).zfill(len(lo))] = layout
    return out


@frozen(kw_only=True)
class Barcode:
    """A parsed scan. ``code``: what the catalog indexes (UPC-A as its 13-digit EAN form,
    an in-store code as scanned). For ``INSTORE``: ``plu``, and ``grams`` or ``price``."""

    symbology: Symbology
    code: str
    plu: int | None = None
    grams: int | None = None
    price: int | None = None

    @property
    def quantity(self) -> Decimal | None:
        """The weight in kilograms, three places (``kassa.model.money.qty``'s scale)."""
        return None if self.grams is None else Decimal(self.grams).scaleb(-3)

    @property
    def restricted(self) -> bool:
        """A restricted circulation number (GS1 prefixes 02x, 04x, 2xx; RCN-8 0/2): valid only
        inside the shop or region, never a product's global GTIN."""
        c = self.code
        if self.symbology is Symbology.EAN8:
            return c[0] in "02"
        return self.symbology in (Symbology.EAN13, Symbology.UPCA, Symbology.INSTORE) and (
            c[0] == "2" or c[:2] in ("02", "04"))


def parse(scan: str, instore: Mapping[str, Layout] | None = None) -> Barcode:
    """Parse what a scanner sent. All digits: EAN-13 / UPC-A / EAN-8 with the check digit
    verified (a wrong one is a ``BarcodeError``, as is another digit count); an EAN-13 whose
    first two digits are in ``instore`` is split by its layout. Anything else printable is
    Code 128 text, kept as scanned."""
    code = scan.strip()
    if not code:
        raise BarcodeError("empty")
    if code.isdigit() and code.isascii():
        n = len(code)
        if n == 12:  # UPC-A is a GTIN-12: the same number as an EAN-13 with a leading 0
            _verify(code)
            return Barcode(symbology=Symbology.UPCA, code="0" + code)
        if n not in (8, 13):
            raise BarcodeError("length", code=code, length=n)
        _verify(code)
        if n == 8:
            return Barcode(symbology=Symbology.EAN8, code=code)
        layout = None
        if instore:  # the longest configured prefix wins
            layout = instore.get(code[:3]) or instore.get(code[:2]) or instore.get(code[:1])
        if layout is None:
            return Barcode(symbology=Symbology.EAN13, code=code)
        return Barcode(
            symbology=Symbology.INSTORE, code=code, plu=int(code[layout.plu]),
            grams=int(code[layout.weight]) if layout.weight else None,
            price=int(code[layout.price]) if layout.price else None)
    if len(code) > CODE128_LIMIT:
        raise BarcodeError("long", limit=CODE128_LIMIT)
    if not code.isascii() or not code.isprintable():
        raise BarcodeError("text", code=code.encode("unicode_escape").decode("ascii"))
    return Barcode(symbology=Symbology.CODE128, code=code)


def _verify(code: str) -> None:
    if check_digit(code[:-1]) != ord(code[-1]) - 48:
        raise BarcodeError("check", code=code)


def instore_code(prefix: str, layout: Layout, *, plu: int, grams: int | None = None,
                 price: int | None = None) -> str:
    """The 13-digit code a shop's scales would print (for labels, the demo, tests)."""
    if len(prefix) != layout.width:
        raise ValueError(f"prefix {prefix} is not {layout.width} digits")
    digits = [""] * 12
    digits[0:len(prefix)] = list(prefix)
    def put(span: slice | None, value: int | None, what: str) -> None:
        if span is None:
            return
        width = span.stop - span.start
        if value is None or not 0 <= value < 10 ** width:
            raise ValueError(f"{what} {value} does not fit {width} digits")
        digits[span] = list(str(value).zfill(width))

    put(layout.plu, plu, "PLU")
    put(layout.weight, grams, "grams")
    put(layout.price, price, "price")
    body = "".join(digits)
    if len(body) != 12 or not body.isdigit():
        raise ValueError(f"layout {layout.pattern} leaves digits unset")
    return with_check_digit(body)
