"""A report as CSV: one header row of titles, the rows, then the totals. Money in rubles
with a dot (spreadsheets parse it in any locale when the column is marked numeric)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from kassa.model.report import Report


def csv_name(report: Report) -> str:
    """``kassa-<report>-<site>-<period>.csv``, safe as a file name on any system."""
    period = f"{report.period.start:%Y%m%d}-{report.period.end:%Y%m%d}"
    raw = f"kassa-{report.name}-{report.site or 'all'}-{period}"
    return re.sub(r"[^\w.-]+", "_", raw) + ".csv"


def write_csv(report: Report, directory: Path) -> Path:
    path = directory / csv_name(report)
    kinds = [c.kind for c in report.columns]
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads UTF-8
        out = csv.writer(fh)
        out.writerow([c.title for c in report.columns])
        for row in report.rows:
            out.writerow([_value(v, k) for v, k in zip(row, kinds, strict=False)])
        if report.totals is not None:
            out.writerow([_value(v, k) for v, k in zip(report.totals, kinds, strict=False)])
    return path


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    return value
