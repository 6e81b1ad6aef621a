"""Money and quantity helpers: kopecks in, kopecks out."""

from __future__ import annotations

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
    not rubles (loyalty points kept in hundredths)."""
    from babel.numbers import format_decimal

    loc = locale if locale in ("ru", "en") else "ru"
    return str(format_decimal(Decimal(hundredths) / 100, format="#,##0.00", locale=loc))


def kopecks(rubles_text: str | Decimal) -> int:
    """``"290.00"`` -> ``29000``; rounds half up to the kopeck."""
    return int((Decimal(str(rubles_text)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
