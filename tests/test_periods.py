"""Report periods in a site's local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from kassa.errors import UserError
from kassa.reports.periods import parse

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 24, 1, 30, tzinfo=ZoneInfo("UTC"))  # 04:30 in Moscow


def test_today_is_the_whole_local_day():
    p = parse("today", now=NOW, tz=MSK, locale="ru")
    assert (p.start.isoformat(), p.end.isoformat()) == (
        "2026-11-24T00:00:00+03:00", "2026-11-25T00:00:00+03:00")
    assert p.label == "Сегодня"


def test_yesterday_week_and_range():
    assert parse("yesterday", now=NOW, tz=MSK, locale="en").start.day == 23
    week = parse("week", now=NOW, tz=MSK, locale="ru")
    assert week.start.weekday() == 0 and (week.end - week.start).days == 7
    r = parse("2026-11-07..2026-11-01", now=NOW, tz=MSK, locale="ru")
    assert (r.start.day, r.end.day, r.label) == (1, 8, "01.11.2026–07.11.2026")


def test_closed_shift_ends_at_the_close():
    start = datetime(2026, 11, 23, 9, tzinfo=MSK)
    p = parse("shift", now=NOW, tz=MSK, locale="ru", shift_start=start, shift_end=True)
    assert (p.start, p.end) == (start, NOW)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "2026-11-01..", "1.11.2026"])
def test_bad_period_is_one_clear_sentence(bad):
    with pytest.raises(UserError, match="Пример: /report"):
        parse(bad, now=NOW, tz=MSK, locale="ru")
