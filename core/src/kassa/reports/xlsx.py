"""A report as an Excel workbook: numbers stay numbers (money in rubles, with formats).

openpyxl is optional: without it ``available()`` is False and ``to_xlsx`` returns None; the
caller sends CSV instead.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from kassa.model import Report

HEADER_ROW = 4  # title, site and period, a blank line, then the table
FORMATS = {"money": "#,##0.00", "int": "#,##0", "qty": "#,##0.000", "pct": "0.0%"}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name


def available() -> bool:
    """Whether workbooks can be written here (openpyxl is installed)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def value(raw: Any, kind: str) -> Any:
    """A cell's value as Excel should hold it."""
    if raw is None or raw == "":
        return None
    if kind == "money" and isinstance(raw, int):
        return Decimal(raw) / 100
    if kind == "pct" and isinstance(raw, (int, float, Decimal)):
        return float(raw) / 100
    if kind == "qty" and isinstance(raw, (int, float, Decimal)):
        return Decimal(raw)
    if isinstance(raw, (int, float, Decimal, str)):
        return raw
    return str(raw)


def to_xlsx(report: Report, site_name: str) -> bytes | None:
    """The workbook: title and period on top, then the table with a bold header and totals."""
    if not available():
        return None
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = (_SHEET_BAD.sub(" ", report.title).strip() or report.name)[:31]
    wb.properties.title = report.title
    bold = Font(bold=True)
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"{site_name} · {report.period.label}".strip(" ·")])
    ws.append([])  # openpyxl counts an empty row in append() but not in max_row
    header_row = HEADER_ROW
    ws.append([c.title for c in report.columns])
    for cell in ws[header_row]:
        cell.font = bold
    kinds = [c.kind for c in report.columns]
    lines = [list(r) for r in report.rows] + ([list(report.totals)] if report.totals else [])
    for n, row in enumerate(lines):
        ws.append([value(v, k) for v, k in zip(row, kinds, strict=False)])
        for cell, kind in zip(ws[ws.max_row], kinds, strict=False):
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
            if report.totals and n == len(lines) - 1:
                cell.font = bold
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for i, col in enumerate(report.columns, start=1):
        width = max([len(col.title)] + [len(str(r[i - 1])) for r in lines if len(r) >= i])
        ws.column_dimensions[get_column_letter(i)].width = min(60, width + 3)
    if report.notes:
        ws.append([])
    for note in report.notes:
        ws.append([note])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
