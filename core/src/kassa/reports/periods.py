"""Report periods in a site's local time: today, yesterday, shift, week, or a date range."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kassa.errors import UserError
from kassa.i18n import t
from kassa.model import Period

NAMED = ("shift", "today", "yesterday", "week")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")


def day_start(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time.min, tzinfo=tz)


def parse(spec: str, *, now: datetime, tz: ZoneInfo, locale: str,
          shift_start: datetime | None = None, shift_end: bool = False) -> Period:
    """A period from its name or ``YYYY-MM-DD[..YYYY-MM-DD]`` (inclusive days).

    ``shift``: from ``shift_start`` (the previous close) to ``now`` when ``shift_end`` (``now``
    is then the close), else to the end of the day (the shift is still open)."""
    local = now.astimezone(tz)
    today = local.date()
    spec = (spec or "today").strip()
    # Named periods cover whole calendar days (a cash server's clock may run ahead of ours).
    if spec == "today":
        return Period(day_start(today, tz), day_start(today + timedelta(days=1), tz),
                      t("period.today", locale))
    if spec == "yesterday":
        return Period(day_start(today - timedelta(days=1), tz), day_start(today, tz),
                      t("period.yesterday", locale))
    if spec == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(day_start(monday, tz), day_start(monday + timedelta(days=7), tz),
                      t("period.week", locale))
    if spec == "shift":
        start = shift_start or day_start(today, tz)
        end = now if shift_end else day_start(today + timedelta(days=1), tz)
        return Period(start, end, t("period.shift", locale))
    m = _RANGE.match(spec)
    if not m:
        raise UserError(t("cmd.report.bad_period", locale))
    try:
        first = date.fromisoformat(m.group(1))
        last = date.fromisoformat(m.group(2) or m.group(1))
    except ValueError:
        raise UserError(t("cmd.report.bad_period", locale)) from None
    if last < first:
        first, last = last, first
    label = first.strftime("%d.%m.%Y") + ("" if last == first else "–" + last.strftime("%d.%m.%Y"))
    return Period(day_start(first, tz), day_start(last + timedelta(days=1), tz), label)
