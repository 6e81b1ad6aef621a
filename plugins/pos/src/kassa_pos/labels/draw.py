"""Drawing price tags and barcode labels with reportlab.

Every text is set in DejaVu Sans, embedded (subset) from the TTF matplotlib ships, so Cyrillic
and "₽" print the same on any machine; barcodes are reportlab's vector EAN-13 / EAN-8 /
Code128 widgets (GS1 module 0.33 mm, narrower only when the cell is too small).
"""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from attrs import field, frozen
from kassa.errors import UserError
from kassa.model.ffd import Measure
from kassa.model.money import format_money
from reportlab import rl_config

from kassa_pos.engine.barcodes import gtin_valid
from kassa_pos.labels.layout import Layout

# off before reportlab.graphics is first imported (shapes.py reads it then): the per-attribute
# validation of the widgets' shapes was ~45 % of a barcode label's time (600 labels: 2.1 s ->
# 1.2 s); only reportlab's own widgets build shapes here
rl_config.shapeChecking = 0

from reportlab.graphics import renderPDF  # noqa: E402
from reportlab.graphics.barcode import createBarcodeDrawing  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.lib.utils import simpleSplit  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MODULE_MM = 0.33  # the EAN-13 nominal module (X = 0.330 mm at 100 % magnification)
MIN_MODULE_MM = 0.25  # below this a shop's scanners misread; such a cell is refused


class Kind(StrEnum):
    TAG = "tag"  # a shelf price tag
    BARCODE = "barcode"  # a sticker with the item's barcode


_UNITS = {Measure.PIECE: ("шт", "pc"), Measure.KILOGRAM: ("кг", "kg"),
          Measure.GRAM: ("г", "g"), Measure.LITER: ("л", "l"),
          Measure.MILLILITER: ("мл", "ml"), Measure.METER: ("м", "m")}

# a price per catalog unit -> (the reference quantity's words, the factor to it)
_REFERENCE = {Measure.KILOGRAM: (("100 г", "100 g"), Decimal("0.1")),
              Measure.GRAM: (("1 кг", "1 kg"), Decimal(1000)),
              Measure.LITER: (("100 мл", "100 ml"), Decimal("0.1")),
              Measure.MILLILITER: (("1 л", "1 l"), Decimal(1000))}

_TEXTS = {
    "ru": {"per": "за 1 {unit}", "code": "код {code}", "no_barcode":
           "{code} «{name}»: у товара нет штрихкода — этикетка не напечатана",
           "bad_barcode": "{code} «{name}»: штрихкод {barcode} с неверной контрольной цифрой"
                          " — этикетка не напечатана",
           "small": "{code} «{name}»: штрихкод {barcode} не помещается в ячейку {w:g}x{h:g} мм",
           "no_font": "не найден шрифт DejaVuSans.ttf (пакет matplotlib): {path}",
           "no_price": "{code} «{name}»: у товара нет действующей цены — ценник не напечатан",
           "unknown": "{code}: нет такого товара (ни кода, ни штрихкода)",
           "write": "не удалось записать {file}: {why}",
           "file": "{file}: нужен файл .pdf в существующей папке, не поверх другого файла",
           "choose": "Укажите одно: коды товаров (codes) или с какой даты (since: ДАТА "
                     "или last).",
           "date": "«{value}» — не дата (ГГГГ-ММ-ДД) и не last",
           "kind": "Неизвестный вид «{value}»: бывают tag (ценники) и barcode (этикетки)."},
    "en": {"per": "per 1 {unit}", "code": "code {code}", "no_barcode":
           "{code} \"{name}\": the item has no barcode, its label is not printed",
           "bad_barcode": "{code} \"{name}\": barcode {barcode} has a wrong check digit,"
                          " its label is not printed",
           "small": "{code} \"{name}\": barcode {barcode} does not fit a {w:g}x{h:g} mm cell",
           "no_font": "font DejaVuSans.ttf (the matplotlib package) not found: {path}",
           "no_price": "{code} \"{name}\": the item has no valid price, its tag is not printed",
           "unknown": "{code}: no such item (neither a code nor a barcode)",
           "write": "could not write {file}: {why}",
           "file": "{file}: give a .pdf file in an existing folder, not over another file",
           "choose": "Give one of: item codes (codes) or a date since (since: DATE or "
                     "last).",
           "date": "'{value}' is neither a date (YYYY-MM-DD) nor last",
           "kind": "Unknown kind '{value}': tag (price tags) or barcode (labels)."},
}


def say(key: str, locale: str, **params: object) -> str:
    return _TEXTS.get(locale, _TEXTS["ru"])[key].format(**params)


class LabelError(UserError):
    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params
        super().__init__(self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        return say(self.key, locale, **self.params)


@frozen(kw_only=True)
class Tag:
    """What one tag or label shows. ``price``: kopecks per ``unit``."""

    code: str
    name: str
    price: int
    unit: Measure = Measure.PIECE
    barcode: str = ""
    store: str = ""
    day: date = field(factory=date.today)

    def unit_price(self, locale: str = "ru") -> str | None:
        """``"100 г: 12,35 ₽"`` for goods priced by weight or volume; ``None`` for pieces
        (the catalog keeps no net content for packaged goods)."""
        ref = _REFERENCE.get(self.unit)
        if ref is None:
            return None
        words, factor = ref
        kop = int((Decimal(self.price) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return f"{words[locale == 'en']}: {format_money(kop, locale)}"


@frozen
class Reject:
    code: str
    error: LabelError


@frozen
class Sheet:
    pdf: bytes
    printed: list[Tag]
    rejects: list[Reject]
    pages: int


def font_dir() -> Path:
    # find_spec reads no module: importing matplotlib would pull numpy in for a font file
    spec = importlib.util.find_spec("matplotlib")
    roots = list(spec.submodule_search_locations or []) if spec else []
    return Path(roots[0] if roots else ".") / "mpl-data" / "fonts" / "ttf"


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        path = font_dir() / file
        if not path.is_file():
            raise LabelError("no_font", path=str(path))
        pdfmetrics.registerFont(TTFont(name, str(path)))


def symbology(barcode: str) -> str:
    """reportlab's barcode name for the item's code: GTIN-13 / GTIN-8 digits as EAN, anything
    else (the shop's own codes) as Code128."""
    if barcode.isdigit() and len(barcode) == 13:
        return "EAN13"
    if barcode.isdigit() and len(barcode) == 8:
        return "EAN8"
    return "Code128"


def render(tags: Iterable[Tag], kind: Kind, layout: Layout, *, locale: str = "ru",
           title: str = "") -> Sheet:
    """One PDF of ``tags`` on ``layout``; a tag that cannot be drawn (a barcode label for an
    item without a barcode, a wrong check digit) is a reject, and the rest still print."""
    register_fonts()
    buf = io.BytesIO()
    # initialFontName: not even Helvetica referenced (the stubs type it float by mistake)
    c = Canvas(buf, pagesize=(layout.page[0] * mm, layout.page[1] * mm), invariant=True,
               pageCompression=1, initialFontName=FONT)  # type: ignore[arg-type]
    c.setTitle(title or ("Ценники" if kind is Kind.TAG else "Этикетки"))
    c.setCreator("kassa pos labels")
    printed: list[Tag] = []
    rejects: list[Reject] = []
    for tag in tags:
        err = _check(tag, kind, layout) if kind is Kind.BARCODE else None
        if err is not None:
            rejects.append(Reject(tag.code, err))
            continue
        if printed and len(printed) % layout.per_page == 0:
            c.showPage()
        x, y = layout.origin(len(printed))
        w, h = layout.cell
        if kind is Kind.TAG:
            _tag(c, tag, x * mm, y * mm, w * mm, h * mm, locale)
        else:
            _label(c, tag, x * mm, y * mm, w * mm, h * mm, locale)
        printed.append(tag)
    pages = -(-len(printed) // layout.per_page) if printed else 0
    if printed:
        c.showPage()
        c.save()
        pdf = buf.getvalue()
    else:
        pdf = b""
    return Sheet(pdf, printed, rejects, pages)


def _check(tag: Tag, kind: Kind, layout: Layout) -> LabelError | None:
    if not tag.barcode:
        return LabelError("no_barcode", code=tag.code, name=tag.name)
    sym = symbology(tag.barcode)
    if sym != "Code128" and not gtin_valid(tag.barcode):
        return LabelError("bad_barcode", code=tag.code, name=tag.name, barcode=tag.barcode)
    if _module(tag.barcode, layout.cell[0] * mm - 2 * mm) < MIN_MODULE_MM * mm:
        return LabelError("small", code=tag.code, name=tag.name, barcode=tag.barcode,
                          w=layout.cell[0], h=layout.cell[1])
    return None


def _drawing(barcode: str, module: float, height: float, font_size: float) -> Any:
    sym = symbology(barcode)
    value = barcode[:-1] if sym != "Code128" else barcode  # reportlab adds the check digit
    return createBarcodeDrawing(  # type: ignore[no-untyped-call]  # untyped in the stubs
        sym, value=value, barWidth=module, barHeight=height, fontName=FONT,
        fontSize=font_size, humanReadable=True)


@functools.lru_cache(maxsize=4096)
def _probe_width(sym: str, value: str) -> float:
    return float(_drawing(value, MODULE_MM * mm, 10, 8).width)


def _module(barcode: str, width: float) -> float:
    """The widest module up to 0.33 mm whose barcode (quiet zones included) fits ``width``."""
    sym = symbology(barcode)
    # an EAN's width depends on its kind only; a Code128's on its text
    probe = _probe_width(sym, barcode if sym == "Code128" else "0" * len(barcode))
    return float(MODULE_MM * mm * min(1.0, width / probe))


def _fit(text: str, font: str, size: float, width: float, lines: int) -> tuple[list[str], float]:
    """``text`` wrapped into at most ``lines`` lines of ``width``, shrinking the size to at
    least 60 %; whatever still overflows is cut with an ellipsis."""
    s = size
    while True:
        out = simpleSplit(text, font, s, width)
        if len(out) <= lines or s <= size * 0.6:
            break
        s -= 0.5
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, s) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out, s


def _tag(c: Canvas, tag: Tag, x: float, y: float, w: float, h: float, locale: str) -> None:
    k = min(w / (70 * mm), h / (37 * mm))  # sizes are set for a 70x37 mm cell
    pad = 2.5 * mm * k
    c.setLineWidth(0.3)
    c.setStrokeGray(0.6)
    c.rect(x, y, w, h)  # the cutting line
    c.setFillGray(0)
    small = 6.5 * k
    c.setFont(FONT, small)
    top = y + h - pad - small
    c.drawString(x + pad, top, tag.store)
    c.drawRightString(x + w - pad, top, tag.day.strftime("%d.%m.%Y"))
    lines, size = _fit(tag.name, BOLD, 9.5 * k, w - 2 * pad, 2)
    c.setFont(BOLD, size)
    ty = top - 1.5 * mm * k
    for line in lines:
        ty -= size * 1.15
        c.drawString(x + pad, ty, line)
    money = format_money(tag.price, locale)
    big = 22 * k
    while big > 8 and pdfmetrics.stringWidth(money, BOLD, big) > w - 2 * pad:
        big -= 0.5
    base = y + pad + small * 1.4
    c.setFont(BOLD, big)
    c.drawRightString(x + w - pad, base, money)
    unit = _UNITS.get(tag.unit, ("ед.", "unit"))[locale == "en"]
    c.setFont(FONT, small)
    c.drawRightString(x + w - pad, base + big * 0.85, say("per", locale, unit=unit))
    c.drawString(x + pad, y + pad, say("code", locale, code=tag.code))
    ref = tag.unit_price(locale)
    if ref is not None:
        c.drawRightString(x + w - pad, y + pad, ref)
    elif tag.barcode:
        c.drawRightString(x + w - pad, y + pad, tag.barcode)


def _label(c: Canvas, tag: Tag, x: float, y: float, w: float, h: float, locale: str) -> None:
    k = min(w / (58 * mm), h / (40 * mm))
    pad = 1.5 * mm * max(k, 0.6)
    small = 7 * k
    lines, size = _fit(tag.name, FONT, small, w - 2 * pad, 2)
    c.setFillGray(0)
    c.setFont(FONT, size)
    ty = y + h - pad
    for line in lines:
        ty -= size * 1.15
        c.drawString(x + pad, ty, line)
    c.setFont(BOLD, small)
    c.drawString(x + pad, y + pad, format_money(tag.price, locale))
    c.setFont(FONT, small * 0.85)
    c.drawRightString(x + w - pad, y + pad, tag.code)
    module = _module(tag.barcode, w - 2 * mm)
    digits = 8 * k
    bottom = y + pad + small * 1.6
    bar_h = max(ty - bottom - digits * 1.6 - pad, 5 * mm * k)
    d = _drawing(tag.barcode, module, bar_h, digits)
    renderPDF.draw(d, c, x + (w - d.width) / 2, bottom)
