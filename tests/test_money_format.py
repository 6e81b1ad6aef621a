"""One money format for the console, the chats and the reports (Babel's ru/en numbers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kassa.model import Event, Site
from kassa.model.money import format_money
from kassa.notify_default import render_event


@pytest.mark.parametrize(("kopecks", "locale", "text"), [
    (128250, "ru", "1\u00a0282,50\u00a0₽"),
    (24000, "ru", "240,00\u00a0₽"),
    (-5, "ru", "-0,05\u00a0₽"),
    (128250, "en", "1,282.50\u00a0₽"),
    (123456789, "xx", "1\u00a0234\u00a0567,89\u00a0₽"),  # unknown locale: Russian
])
def test_format_money(kopecks: int, locale: str, text: str) -> None:
    assert format_money(kopecks, locale) == text


def _event(**kw: object) -> Event:
    return Event.of(site="msk1", kind="check_deleted", source_key="k1",
                    occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), **kw)


def test_alert_money_is_the_console_format() -> None:
    text = render_event(_event(amount=24000), "ru", Site(code="msk1", name="Тверская"))
    assert "240,00\u00a0₽" in text and "240.00" not in text


@pytest.mark.parametrize(("table", "line"), [
    ("Стол 8", "Стол 8"), ("8", "Стол: 8"), ("стол 12", "стол 12"),
    ("Столовая", "Стол: Столовая")])
def test_table_word_once(table: str, line: str) -> None:
    text = render_event(_event(table=table), "ru", Site(code="msk1", name="Тверская"))
    assert line in text.splitlines()
    assert "Стол: Стол " not in text


def test_format_amount_is_the_number_alone() -> None:
    from kassa.model.money import format_amount

    assert format_amount(130000, "ru") == "1\u00a0300,00"
    assert format_amount(-20000, "en") == "-200.00"


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["ru", "en"]))
def test_format_amount_is_babels(hundredths: int, locale: str) -> None:
    """Written from the locale's symbols (Babel's formatter cost ~60 µs per alert on the
    event log's path): it must agree with Babel's ``#,##0.00`` on every amount."""
    from decimal import Decimal

    from babel.numbers import format_decimal
    from kassa.model.money import format_amount

    babel = format_decimal(Decimal(hundredths) / 100, format="#,##0.00", locale=locale)
    assert format_amount(hundredths, locale) == babel
