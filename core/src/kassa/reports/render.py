"""Reports as people read them: a monospace table in a chat; a long one as a file (XLSX when
openpyxl is installed, else CSV) under a summary; a chart as a PNG picture when Pillow is."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

from kassa import extras
from kassa.i18n import t
from kassa.model import Attachment, Report
from kassa.model.money import format_money, rubles
from kassa.reports import chart, xlsx

CHAT_LIMIT = 3500  # leave room under 4000/4096 for the title and tags
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(value: Any, kind: str, locale: str | None = None) -> str:
    """A cell as people read it in ``locale`` ("1 282,50 ₽"); no locale: a file's plain number."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return format_money(value, locale) if locale else rubles(value)
    if kind == "pct" and isinstance(value, (int, float)):
        return f"{value:.1f}%"
    return str(value)


def table_text(report: Report, locale: str = "ru") -> str:
    kinds = [c.kind for c in report.columns]
    rows = [[c.title for c in report.columns]]
    rows += [[cell(v, k, locale) for v, k in zip(r, kinds, strict=False)] for r in report.rows]
    if report.totals:
        rows.append([cell(v, k, locale) for v, k in zip(report.totals, kinds, strict=False)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(kinds))]
    right = [k in ("money", "int", "qty", "pct") for k in kinds]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(v.rjust(w) if al else v.ljust(w)
                             for v, w, al in zip(r, widths, right, strict=False)).rstrip())
        if n == 0 or (report.totals and n == len(rows) - 2):
            out.append("-" * min(60, sum(widths) + 2 * (len(widths) - 1)))
    return "\n".join(out)


def header(report: Report, site_name: str, locale: str) -> str:
    return (f"📊 <b>{escape(report.title)}</b>\n{escape(site_name)} · "
            f"{escape(report.period.label)}")


def to_csv(report: Report) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    w.writerow([c.title for c in report.columns])
    kinds = [c.kind for c in report.columns]
    for r in report.rows:
        w.writerow([cell(v, k).replace("\u00a0", "") for v, k in zip(r, kinds, strict=False)])
    if report.totals:
        w.writerow([cell(v, k).replace("\u00a0", "") for v, k in
                    zip(report.totals, kinds, strict=False)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def totals_line(report: Report, locale: str = "ru") -> str:
    """"Итого: Количество 1197; Сумма 5 573 767,50 ₽" — the totals row read out in one line."""
    assert report.totals is not None
    cols, values = list(report.columns), list(report.totals)
    label = ""
    if cols and cols[0].kind == "text" and isinstance(values[0], str):
        label, cols, values = values[0], cols[1:], values[1:]
    pairs = "; ".join(f"{c.title} {cell(v, c.kind, locale)}"
                      for c, v in zip(cols, values, strict=False) if v not in (None, ""))
    return f"{label}: {pairs}" if label else pairs


def file_name(report: Report, ext: str) -> str:
    return f"{report.name}_{report.site or 'all'}_{report.period.start:%Y%m%d}.{ext}"


def table_file(report: Report, site_name: str) -> Attachment:
    """The whole table as a file: a workbook when openpyxl is here, else CSV."""
    book = xlsx.to_xlsx(report, site_name)
    if book is not None:
        return Attachment(filename=file_name(report, "xlsx"), content=book, mime=XLSX_MIME)
    if not xlsx.available():
        extras.warn_missing("xlsx", "report tables go out as CSV files")
    return Attachment(filename=file_name(report, "csv"), content=to_csv(report), mime="text/csv")


def chart_picture(report: Report, site_name: str, locale: str = "ru") -> Attachment | None:
    """The report's chart as a photo; None without a chart, data or Pillow."""
    data = chart.series(report)
    if data is None or report.chart is None:
        return None
    labels, values = data
    y_col = next(c for c in report.columns if c.key == report.chart.y)
    y_title = y_col.title
    if y_col.kind == "money":  # kopecks on the axis would mislead: rubles, as the table shows
        values = [v / 100 for v in values]
        y_title += f", {t('unit.rub', locale)}"
    title = f"{report.title} · {site_name} · {report.period.label}".strip(" ·")
    png = chart.png(labels, values, title=title, y_title=y_title)
    if png is None:
        if not chart.available():
            extras.warn_missing("charts", "reports go out without their charts")
        return None
    return Attachment(filename=file_name(report, "png"), content=png, mime="image/png",
                      kind="photo")


def for_chat(report: Report, site_name: str, locale: str) -> tuple[str, tuple[Attachment, ...]]:
    """(HTML text, attachments): a table inline when it fits, else a summary and the table as a
    file; a chart picture follows when the report has one."""
    head = header(report, site_name, locale)
    if not report.rows:
        return f"{head}\n{escape(t('report.empty', locale))}", ()
    picture = chart_picture(report, site_name, locale)
    pictures = (picture,) if picture is not None else ()
    body = table_text(report, locale)
    notes = "\n".join(escape(n) for n in report.notes)
    if len(body) <= CHAT_LIMIT:
        text = f"{head}\n<pre>{escape(body)}</pre>" + (f"\n{notes}" if notes else "")
        return text, pictures
    summary = head
    if report.totals:
        summary += "\n" + escape(totals_line(report, locale))
    summary += "\n" + escape(t("report.as_file", locale))
    return summary, (table_file(report, site_name), *pictures)
