"""What a scale said, before it becomes the core's ``Weight`` (the one mapping place)."""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen
from kassa.model import Weight, WeightUnit


class ProtocolError(Exception):
    """The bytes from the scale do not parse as its protocol (garbage, a wrong variant)."""


class ScaleRefused(Exception):
    """The scale answered with an error of its protocol (``code`` as it sent it)."""

    def __init__(self, code: str, text: str = "") -> None:
        super().__init__(f"{code}: {text}" if text else code)
        self.code = code
        self.text = text


@frozen(kw_only=True)
class Reading:
    """One answer in grams: ``grams`` net of ``tare``."""

    grams: Decimal
    stable: bool = True
    overload: bool = False
    underload: bool = False
    tare: Decimal = Decimal(0)


def to_weight(r: Reading) -> Weight:
    """Kilograms for the till (a receipt line's 2108 is kilograms for weighed goods); an
    underload reads as 0 so ``Weight.value >= 0`` holds."""
    value = max(r.grams, Decimal(0)) / 1000
    return Weight(value=value, unit=WeightUnit.KILOGRAM, stable=r.stable, overload=r.overload,
                  underload=r.underload or r.grams < 0, tare=r.tare / 1000)
