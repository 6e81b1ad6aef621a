"""Reports are tables: columns, rows, totals; optionally a chart."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import field, frozen


@frozen
class Period:
    start: datetime
    end: datetime
    label: str = ""


@frozen
class Column:
    key: str
    title: str
    kind: str = "text"  # text | int | money | qty | pct


@frozen
class Chart:
    """A bar/line chart over one column, for sales by hour and the like."""

    x: str  # column key for labels
    y: str  # column key for values
    kind: str = "bar"


def _columns(value: Iterable[Column]) -> tuple[Column, ...]:
    return tuple(value)


def _rows(value: Iterable[Iterable[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(map(tuple, value))


def _notes(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen
class Report:
    name: str
    title: str
    site: str | None
    period: Period
    columns: tuple[Column, ...] = field(converter=_columns)
    rows: tuple[tuple[Any, ...], ...] = field(default=(), converter=_rows)
    totals: tuple[Any, ...] | None = None
    chart: Chart | None = None
    notes: tuple[str, ...] = field(default=(), converter=_notes)
