"""A report's chart (``Report.chart``) as a PNG bar chart, for sales by hour and the like.

Drawn with Pillow, which is optional: without it ``available()`` is False, ``png()`` returns
None and the report goes out as text alone. Labels need a font with Cyrillic; the first
DejaVu/Liberation font found is used, else Pillow's own (Latin) and no Cyrillic title.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from kassa.model import Report

WIDTH, HEIGHT = 960, 540
MARGIN = (90, 70, 30, 60)  # left, top, right, bottom
BAR = (46, 134, 222)
GRID = (225, 228, 232)
INK = (40, 44, 52)
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


def available() -> bool:
    """Whether charts can be drawn here (Pillow is installed)."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _font_path() -> str | None:
    return next((p for p in FONTS if Path(p).is_file()), None)


def _font(size: int) -> Any:
    from PIL import ImageFont

    path = _font_path()
    if path is not None:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def series(report: Report) -> tuple[list[str], list[float]] | None:
    """(labels, values) of the chart's columns; None when the report has no chart or data."""
    chart = report.chart
    if chart is None or not report.rows:
        return None
    keys = [c.key for c in report.columns]
    if chart.x not in keys or chart.y not in keys:
        return None
    xi, yi = keys.index(chart.x), keys.index(chart.y)
    labels = [str(r[xi]) for r in report.rows]
    values = [float(r[yi] or 0) for r in report.rows]
    return labels, values


def _nice_step(top: float) -> float:
    """A round grid step giving 4-6 lines up to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / 5
    mag = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * mag:
            return mult * mag
    return 10 * mag


def png(labels: Sequence[str], values: Sequence[float], *, title: str = "", y_title: str = "",
        value_text: Callable[[float], str] = lambda v: f"{v:,.0f}".replace(",", " ")
        ) -> bytes | None:
    """A bar chart as PNG bytes; None without Pillow or without data."""
    if not values or not available():
        return None
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    small, big = _font(14), _font(20)
    left, top, right, bottom = MARGIN
    legible = _font_path() is not None  # Pillow's own font has no Cyrillic
    if title and (legible or title.isascii()):
        draw.text((left, 16), title, fill=INK, font=big)
    if y_title and (legible or y_title.isascii()):
        draw.text((10, top - 30), y_title, fill=INK, font=small)
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    peak = max(max(values), 0.0)
    step = _nice_step(peak)
    ceiling = step * max(1, -(-peak // step)) if peak > 0 else step
    line = 0.0
    while line <= ceiling + 1e-9:  # horizontal grid with values on the left
        y = top + plot_h - plot_h * line / ceiling
        draw.line([(left, y), (left + plot_w, y)], fill=GRID, width=1)
        label = value_text(line)
        w = draw.textlength(label, font=small)
        draw.text((left - 8 - w, y - 8), label, fill=INK, font=small)
        line += step
    slot = plot_w / len(values)
    bar_w = max(2.0, slot * 0.7)
    every = max(1, int(len(labels) * 60 // plot_w) + 1)  # thin out labels that would overlap
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + i * slot + (slot - bar_w) / 2
        h = plot_h * max(value, 0.0) / ceiling
        draw.rectangle([x0, top + plot_h - h, x0 + bar_w, top + plot_h], fill=BAR)
        if i % every == 0:
            w = draw.textlength(label, font=small)
            draw.text((x0 + bar_w / 2 - w / 2, top + plot_h + 8), label, fill=INK, font=small)
    draw.line([(left, top + plot_h), (left + plot_w, top + plot_h)], fill=INK, width=1)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
