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


def kopecks(rubles_text: str | Decimal) -> int:
    """``"290.00"`` -> ``29000``; rounds half up to the kopeck."""
    return int((Decimal(str(rubles_text)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
