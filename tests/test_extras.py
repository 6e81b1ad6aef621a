"""Optional extras of the core: a config that needs a missing one fails at config check and at
start with one sentence naming the extra; reports fall back without xlsx / charts."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from kassa import extras
from kassa.cli import cli
from kassa.config import parse
from kassa.errors import UserError
from kassa.model import Chart, Column, Period, Report
from kassa.reports import render
from kassa.store import Store

PG = "postgresql://kassa@127.0.0.1:5432/kassa"


def missing(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """As if a library were not installed: ``import x`` raises ImportError."""
    for name in modules:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setitem(sys.modules, name, None)


def settings(**tables: dict[str, str]) -> object:
    return parse({"hub": {"data_dir": "/nonexistent"}, **tables}, file="kassa.toml")


def test_postgres_without_psycopg_names_the_extra(monkeypatch, tmp_path):
    missing(monkeypatch, "psycopg")
    with pytest.raises(UserError) as err:
        extras.check(settings(store={"url": PG}))
    assert str(err.value) == "store.url: PostgreSQL needs the extra: pip install 'kassa[postgres]'"
    with pytest.raises(UserError, match=r"kassa\[postgres\]"):
        Store(PG)  # a Store made directly (kassa db upgrade, tests) says the same

    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n[store]\nurl = "{PG}"\n', encoding="utf-8")
    out = CliRunner().invoke(cli, ["config", "check", "-c", str(cfg)])
    assert out.exit_code == 2
    assert "pip install 'kassa[postgres]'" in out.output
    assert "Traceback" not in out.output


def test_nats_bus_and_relay_without_nats_name_the_extra(monkeypatch):
    missing(monkeypatch, "nats")
    with pytest.raises(UserError, match=r"^bus\.backend: NATS needs the extra: pip install "
                                        r"'kassa\[nats\]'$"):
        extras.check(settings(bus={"backend": "nats"}))
    with pytest.raises(UserError, match=r"^relay\.url: .*kassa\[nats\]"):
        extras.check(settings(relay={"url": "nats://centre:4222"}))
    from kassa.bus import make_bus

    with pytest.raises(UserError, match=r"kassa\[nats\]"):
        make_bus(settings(bus={"backend": "nats"}).bus)  # type: ignore[attr-defined]


def test_installed_extras_and_embedded_defaults_pass():
    extras.check(settings())  # SQLite + memory bus: no extra needed
    extras.check(settings(store={"url": PG}, bus={"backend": "nats"},
                          relay={"url": "nats://centre:4222"}))  # all installed here
    assert extras.needed(settings()) == []


def report() -> Report:
    day = Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC), "1 марта")
    return Report(name="sales", title="Продажи", site="r1", period=day,
                  columns=[Column("hour", "Час", "text"), Column("revenue", "Выручка", "money")],
                  rows=[("12", 150000), ("13", 99000)], chart=Chart(x="hour", y="revenue"))


def test_reports_fall_back_without_xlsx_and_charts_and_say_which_extra(monkeypatch, caplog):
    assert render.table_file(report(), "Невский").filename.endswith(".xlsx")
    assert render.chart_picture(report(), "Невский") is not None
    missing(monkeypatch, "openpyxl", "PIL")
    with caplog.at_level(logging.WARNING, logger="kassa"):
        f = render.table_file(report(), "Невский")
        assert f.filename.endswith(".csv") and "Час".encode() in f.content
        assert render.chart_picture(report(), "Невский") is None
    text = caplog.text
    assert "pip install 'kassa[xlsx]'" in text and "pip install 'kassa[charts]'" in text
