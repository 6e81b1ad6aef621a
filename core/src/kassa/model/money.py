"""Money and quantity helpers: kopecks in, kopecks out."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

QTY = Decimal("0.001")


def qty(value: Decimal | int | str | float) -> Decimal:
    """A quantity with exactly three decimal places."""
    return Decimal(str(value)).quantize(QTY, rounding=ROUND_HALF_UP)


def rubles(kopecks: int) -> str:
    """``123456`` -> ``"1 234.56"`` (thin grouping, as receipts print it)."""
    sign = "-" if kopecks < 0 else ""
    whole, frac = divmod(abs(kopecks), 100)
    return f"{sign}{whole:,}.{frac:02d}".replace(",", "\u00a0")


def format_money(kopecks: int, locale: str = "ru") -> str:
    """What people read, one format for the console, the chats and the reports:
    ``128250`` -> ``"1 282,50 ₽"`` (ru, Babel's grouping and decimal mark, no-break spaces) or
    ``"1,282.50 ₽"`` (en; Babel's en symbol for RUB is "RUB", so the sign is ours)."""
    return f"{format_amount(kopecks, locale)}\u00a0₽"


def format_amount(hundredths: int, locale: str = "ru") -> str:
    """The number alone, as ``format_money`` writes it (``"1 282,50"``): for amounts that are
    not rubles (loyalty points kept in hundredths). Babel's ``#,##0.00`` in the locale's
    symbols; written here from those symbols, since the formatter runs for every alert in the
    event log's transaction and Babel's takes ~60 µs a call (tests hold the two equal)."""
    group, decimal, minus = _symbols(locale if locale in ("ru", "en") else "ru")
    whole, frac = divmod(abs(int(hundredths)), 100)
    text = f"{whole:,}".replace(",", group) + decimal + f"{frac:02d}"
    return minus + text if hundredths < 0 else text


@functools.lru_cache(maxsize=8)
def _symbols(locale: str) -> tuple[str, str, str]:
    """(group, decimal, minus) of a locale, from Babel's CLDR data."""
    from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

    return (get_group_symbol(locale), get_decimal_symbol(locale),
            get_minus_sign_symbol(locale))


def kopecks(rubles_text: str | Decimal) -> int:
    """``"290.00"`` -> ``29000``; rounds half up to the kopeck."""
    return int((Decimal(str(rubles_text)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
