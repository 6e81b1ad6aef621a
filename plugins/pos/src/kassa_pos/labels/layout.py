"""Sheet geometry in millimetres: an A4 grid of equal cells or a label-printer roll (one label
per page, the page the label's size, as roll printers' drivers expect)."""

from __future__ import annotations

import re

from attrs import frozen
from kassa.errors import UserError

A4 = (210.0, 297.0)


class LayoutError(UserError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        if locale == "en":
            return (f"unknown layout {self.name!r}: use a4-COLSxROWS (a4-3x8), "
                    f"roll-WIDTHxHEIGHT in mm (roll-58x40), or cells that fit the sheet")
        return (f"неизвестная раскладка {self.name!r}: a4-КОЛОНКИxРЯДЫ (a4-3x8), "
                f"roll-ШИРИНАxВЫСОТА в мм (roll-58x40), ячейки должны помещаться на лист")


@frozen(kw_only=True)
class Layout:
    """``cols`` x ``rows`` cells of ``cell`` (w, h) mm on a ``page`` (w, h) mm, the grid's top
    left corner at (``margin_left``, ``margin_top``), ``gap`` mm between cells."""

    name: str
    page: tuple[float, float]
    cell: tuple[float, float]
    cols: int = 1
    rows: int = 1
    margin_left: float = 0.0
    margin_top: float = 0.0
    gap: float = 0.0

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """The bottom-left corner (mm, PDF's y up) of the ``index``-th cell on its page,
        filled row by row from the top left."""
        row, col = divmod(index % self.per_page, self.cols)
        x = self.margin_left + col * (self.cell[0] + self.gap)
        y = self.page[1] - self.margin_top - (row + 1) * self.cell[1] - row * self.gap
        return x, y

    @classmethod
    def grid(cls, cols: int, rows: int, *, page: tuple[float, float] = A4,
             cell: tuple[float, float] | None = None, margin: float = 8.0,
             gap: float = 0.0, name: str = "") -> Layout:
        """A grid centred on the page; without ``cell`` the cells share what the margins
        leave."""
        if cols < 1 or rows < 1:
            raise LayoutError(name or f"{cols}x{rows}")
        if cell is None:
            cell = ((page[0] - 2 * margin - (cols - 1) * gap) / cols,
                    (page[1] - 2 * margin - (rows - 1) * gap) / rows)
        used = (cols * cell[0] + (cols - 1) * gap, rows * cell[1] + (rows - 1) * gap)
        if cell[0] <= 0 or cell[1] <= 0 or used[0] > page[0] or used[1] > page[1]:
            raise LayoutError(name or f"{cols}x{rows}")
        return cls(name=name or f"a4-{cols}x{rows}", page=page, cell=cell, cols=cols,
                   rows=rows, margin_left=(page[0] - used[0]) / 2,
                   margin_top=(page[1] - used[1]) / 2, gap=gap)

    @classmethod
    def roll(cls, width: float, height: float) -> Layout:
        if not (10 <= width <= 120 and 10 <= height <= 300):
            raise LayoutError(f"roll-{width:g}x{height:g}")
        return cls(name=f"roll-{width:g}x{height:g}", page=(width, height),
                   cell=(width, height))

    @classmethod
    def parse(cls, text: str, *, margin: float = 8.0, gap: float = 0.0) -> Layout:
        """``a4-3x8`` (cells share the page), ``a4-3x8@70x37`` (cells of 70x37 mm),
        ``roll-58x40``."""
        s = text.strip().lower().replace("х", "x")  # a Cyrillic "х" typed for the "x"
        m = re.fullmatch(r"a4-(\d+)x(\d+)(?:@(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?))?", s)
        if m:
            cell = (float(m[3]), float(m[4])) if m[3] else None
            return cls.grid(int(m[1]), int(m[2]), cell=cell, margin=margin, gap=gap, name=s)
        m = re.fullmatch(r"roll-(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)", s)
        if m:
            return cls.roll(float(m[1]), float(m[2]))
        raise LayoutError(text)
