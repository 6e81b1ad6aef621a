"""Reports that do not fit a chat message go as a file under a summary; charts as pictures.

XLSX needs openpyxl and pictures need Pillow (optional): their tests skip without them, and the
fallbacks (CSV, text alone) are tested either way.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from kassa import hookimpl
from kassa.i18n import t
from kassa.model import Chart, Column, Period, Report
from kassa.reports import chart, render, xlsx

from tests.e2e.stack import SITE_NAMES, ChatView, running

pytestmark = pytest.mark.anyio

needs_openpyxl = pytest.mark.skipif(not xlsx.available(), reason="openpyxl is not installed")
needs_pillow = pytest.mark.skipif(not chart.available(), reason="Pillow is not installed")
PERIOD = Period(datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC), "14.03.2026")


def dishes(rows: int = 300) -> Report:
    """A dish consumption table far longer than a chat message."""
    return Report(
        name="dish_consumption", title="Расход блюд", site="r1", period=PERIOD,
        columns=(Column("dish", "Блюдо"), Column("quantity", "Количество", "qty"),
                 Column("amount", "Сумма", "money")),
        rows=[(f"Ролл <№{i}> & соус", i % 7 + 1, 12_345 * (i + 1)) for i in range(rows)],
        totals=("Итого", sum(i % 7 + 1 for i in range(rows)),
                sum(12_345 * (i + 1) for i in range(rows))))


def by_hour() -> Report:
    hours = [(f"{h:02d}:00", h - 9, (h - 9) * 150_000) for h in range(10, 23)]
    hours[5] = ("15:00", 20, 3_000_000)  # the lunch peak
    return Report(name="sales_by_hour", title="Продажи по часам", site="r1", period=PERIOD,
                  columns=(Column("hour", "Час"), Column("checks", "Чеков", "int"),
                           Column("revenue", "Выручка", "money")),
                  rows=hours, chart=Chart(x="hour", y="revenue"))


def test_long_report_is_a_summary_with_the_table_as_a_file():
    text, files = render.for_chat(dishes(), SITE_NAMES["r1"], "ru")
    assert len(text) < 1024  # fits a caption: Telegram sends one message, file + summary
    assert "Итого: Количество 1197; Сумма 5\xa0573\xa0767,50\xa0₽" in text
    assert t("report.as_file", "ru") in text
    assert "&lt;Мастер&gt; &amp; Co" in text and "Ролл" not in text
    [table] = files
    assert table.kind == "document"
    assert table.filename.startswith("dish_consumption_r1_20260314.")


def test_without_openpyxl_the_file_is_csv(monkeypatch):
    monkeypatch.setattr(xlsx, "available", lambda: False)
    _, [table] = render.for_chat(dishes(), "R1", "ru")
    assert table.filename.endswith(".csv") and table.mime == "text/csv"
    lines = table.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Блюдо;Количество;Сумма" and len(lines) == 302
    assert lines[1] == "Ролл <№0> & соус;1;123.45"


@needs_openpyxl
def test_xlsx_keeps_numbers_as_numbers():
    from openpyxl import load_workbook

    _, [table] = render.for_chat(dishes(), SITE_NAMES["r1"], "ru")
    assert table.filename.endswith(".xlsx") and table.mime == render.XLSX_MIME
    ws = load_workbook(io.BytesIO(table.content)).active
    assert ws.title == "Расход блюд"
    assert ws["A1"].value == "Расход блюд" and ws["A2"].value == f"{SITE_NAMES['r1']} · 14.03.2026"
    assert [c.value for c in ws[4]] == ["Блюдо", "Количество", "Сумма"]
    assert ws["A5"].value == "Ролл <№0> & соус"
    assert float(ws["B5"].value) == 1 and ws["B5"].number_format == "#,##0.000"
    assert float(ws["C5"].value) == 123.45 and ws["C5"].number_format == "#,##0.00"
    last = ws.max_row
    assert ws[f"A{last}"].value == "Итого" and ws[f"A{last}"].font.bold
    assert float(ws[f"C{last}"].value) == sum(123.45 * (i + 1) for i in range(300))
    assert ws.freeze_panes == "A5"


def test_without_pillow_a_chart_report_is_text_alone(monkeypatch):
    monkeypatch.setattr(chart, "available", lambda: False)
    text, files = render.for_chat(by_hour(), "R1", "ru")
    assert files == () and "<pre>" in text and "15:00" in text


@needs_pillow
def test_sales_by_hour_comes_with_a_bar_chart():
    from PIL import Image

    text, [picture] = render.for_chat(by_hour(), "R1", "ru")
    assert "<pre>" in text  # the table still fits the message; the chart comes with it
    assert picture.kind == "photo" and picture.mime == "image/png"
    img = Image.open(io.BytesIO(picture.content)).convert("RGB")
    assert img.size == (chart.WIDTH, chart.HEIGHT)
    # measure each bar: the peak hour stands tallest, and heights follow the revenue
    left, top, right, bottom = chart.MARGIN
    slot = (chart.WIDTH - left - right) / 13
    heights = []
    for i in range(13):
        x = int(left + i * slot + slot / 2)
        heights.append(sum(1 for y in range(top, chart.HEIGHT - bottom)
                           if img.getpixel((x, y)) == chart.BAR))
    assert heights.index(max(heights)) == 5
    assert heights[0] < heights[1] < heights[2] < heights[3]
    assert heights[1] == pytest.approx(2 * heights[0], abs=2)


def test_a_report_without_a_chart_or_rows_gets_no_picture():
    assert render.chart_picture(dishes(3), "R1") is None
    empty = Report(name="sales_by_hour", title="x", site=None, period=PERIOD,
                   columns=by_hour().columns, rows=[], chart=Chart(x="hour", y="revenue"))
    assert render.for_chat(empty, "R1", "ru")[1] == ()


class LongReport:
    """A report plugin whose answer never fits a message."""

    name = "dish_consumption_full"
    title = {"ru": "Расход блюд (полный)", "en": "Dish consumption (full)"}
    parameters = ("site", "period")

    async def build(self, ctx, site, period):
        return dishes()

    @hookimpl
    def register_reports(self):
        return [self]


async def test_a_long_report_arrives_as_a_file_in_both_messengers(tmp_path):
    quiet: dict[str, list[str]] = {"alerts": []}
    async with running(tmp_path, rkeeper=False, site_chat=quiet, owners_chat=quiet,
                       plugins=[LongReport()]) as stack:

        async def flow(chat: ChatView) -> None:
            manager = stack.people[chat.channel].manager
            before = len(chat.received())
            chat.say(manager, "/report dish_consumption_full today")
            got = await chat.wait(lambda r: any(m.files for m in r[before:]))
            new = got[before:]
            [(kind, name, content)] = [f for m in new for f in m.files]
            assert kind == "document" and name.startswith("dish_consumption_r1_")
            assert content.startswith(b"PK" if xlsx.available() else b"\xef\xbb\xbf")
            summary = "\n".join(m.text for m in new)
            assert "Расход блюд" in summary and t("report.as_file", "ru") in summary
            assert SITE_NAMES["r1"] in summary
            if chat.channel == "telegram":  # one message: the file under its summary
                assert len(new) == 1 and new[0].text.startswith("📊 Расход блюд")

        await stack.on_both("r1", flow)
