"""Shop hardware values: device health, print jobs, weights, scans, POS events for video,
the weighed goods a label scale holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from kassa.model.ffd import Measure


def _decimal(value: Decimal | int | str | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _strings(lines: Iterable[str]) -> tuple[str, ...]:
    return tuple(lines)  # typed: attrs' bare ``tuple`` converter leaves mypy a type variable


class Health(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # works, with a warning (paper near end, OFD backlog)
    DOWN = "down"  # was working, does not answer now
    UNAVAILABLE = "unavailable"  # could not be started (the reason is in ``message``)


@frozen(kw_only=True)
class DeviceStatus:
    health: Health
    message: str | None = None  # one sentence for the console; no secrets
    detail: Mapping[str, Any] = field(factory=dict)


@frozen(kw_only=True)
class PrintJob:
    """A non-fiscal print: text ``lines`` (the driver encodes them) or ``raw`` bytes in the
    printer's own language, never both."""

    lines: tuple[str, ...] = field(default=(), converter=_strings)
    raw: bytes | None = None
    cut: bool = True
    copies: int = 1
    open_drawer: bool = False

    def __attrs_post_init__(self) -> None:
        if bool(self.lines) == bool(self.raw):
            raise ValueError("a PrintJob has either lines or raw bytes")
        if not 1 <= self.copies <= 10:
            raise ValueError(f"PrintJob.copies must be 1..10, not {self.copies}")


class WeightUnit(StrEnum):
    GRAM = "g"
    KILOGRAM = "kg"

    @property
    def measure(self) -> Measure:
        """The receipt's 2108 for a line sold by this weight."""
        return Measure.GRAM if self is WeightUnit.GRAM else Measure.KILOGRAM


@frozen(kw_only=True)
class Weight:
    """One reading. ``value`` is net of ``tare``, both in ``unit``. Only a ``stable``
    reading without ``overload`` / ``underload`` may be sold."""

    value: Decimal = field(converter=_decimal)
    unit: WeightUnit = WeightUnit.KILOGRAM
    stable: bool = True
    overload: bool = False
    underload: bool = False
    tare: Decimal = field(default=Decimal(0), converter=_decimal)

    @property
    def kg(self) -> Decimal:
        return self.value if self.unit is WeightUnit.KILOGRAM else self.value / 1000

    @property
    def grams(self) -> Decimal:
        return self.value if self.unit is WeightUnit.GRAM else self.value * 1000

    @property
    def sellable(self) -> bool:
        return self.stable and not self.overload and not self.underload and self.value > 0


# what every label scale's table shares: the item code is the 5 digits of the EAN-13 weight
# barcode (PP CCCCC WWWWW K); shelf life (days), tare (grams) and group as a label prints them
PLU_MAX_CODE, PLU_MAX_SHELF_LIFE, PLU_MAX_TARE, PLU_MAX_GROUP = 99999, 999, 9999, 999


@frozen(kw_only=True)
class PluItem:
    """A weighed good for a label scale's PLU table, in no scale's protocol: a scale plugin
    maps it to its own record with its own department / group filter and limits (what a
    scale leaves out it reports). ``price`` kopecks a kilogram; ``plu`` the key on the scale
    (default: ``code``); ``shelf_life`` days; ``tare`` grams; ``message`` and ``picture``
    the numbers of a text and a picture stored on the scale (0: none)."""

    code: int
    name: str
    price: int
    plu: int | None = None
    department: str = ""
    group: int = 0
    shelf_life: int = 0
    tare: int = 0
    message: int = 0
    picture: int = 0

    @property
    def number(self) -> int:
        """The PLU number on the scale."""
        return self.plu if self.plu is not None else self.code


class Symbology(StrEnum):
    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"
    CODE128 = "code128"
    CODE39 = "code39"
    ITF14 = "itf14"
    QR = "qr"
    DATAMATRIX = "datamatrix"
    GS1_DATAMATRIX = "gs1_datamatrix"  # marking codes (Chestny Znak), GS kept
    PDF417 = "pdf417"
    UNKNOWN = "unknown"  # keyboard-wedge scanners do not say


@frozen(kw_only=True)
class Scan:
    code: str  # as read, GS (\x1d) kept
    at: datetime
    symbology: Symbology = Symbology.UNKNOWN


class PosEventKind(StrEnum):
    RECEIPT_OPEN = "receipt_open"
    LINE_ADD = "line_add"
    LINE_VOID = "line_void"
    DISCOUNT = "discount"
    PAYMENT = "payment"
    RECEIPT_CLOSE = "receipt_close"
    RECEIPT_CANCEL = "receipt_cancel"
    DRAWER_OPEN = "drawer_open"
    SHIFT_OPEN = "shift_open"
    SHIFT_CLOSE = "shift_close"


class PosOperation(StrEnum):
    """What the receipt an event belongs to does (a video system marks returns)."""

    SALE = "sale"
    RETURN = "return"


@frozen(kw_only=True)
class PosEventLine:
    position: int
    name: str
    quantity: Decimal = field(converter=_decimal)
    price: int  # kopecks per unit
    amount: int  # kopecks
    barcode: str | None = None


@frozen(kw_only=True)
class PosEvent:
    """What a till did, for a video system's overlay (Trassir, Axxon...). ``at`` is the
    till's clock at the event, not the time it is sent."""

    kind: PosEventKind
    at: datetime
    terminal_id: str
    receipt_id: str | None = None
    cashier: str | None = None
    line: PosEventLine | None = None
    total: int | None = None  # kopecks, on close / payment
    payment_type: str | None = None
    operation: PosOperation = field(default=PosOperation.SALE, converter=PosOperation)


__all__ = [
    "DeviceStatus",
    "Health",
    "PluItem",
    "PosEvent",
    "PosEventKind",
    "PosEventLine",
    "PosOperation",
    "PrintJob",
    "Scan",
    "Symbology",
    "Weight",
    "WeightUnit",
]
