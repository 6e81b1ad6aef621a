"""Guest-base import through the CLI: dry run, rejected rows with reasons, idempotent re-run."""

from __future__ import annotations

import json

import click
import kassa_bonus
import openpyxl
from click.testing import CliRunner

CSV = """ФИО;Телефон;Карта;ДР;Баллы
Анна;8 916 123-45-67;4455;01.02.1990;5000
Борис;+7 (903) 111-22-33;;1985-07-15;0
Без телефона;;;;
Кривой;12345;;;
Анна дубль;+79161234567;;;
Вера;+79035556677;;31.02.2000;
"""
MAP = "name=ФИО,phone=Телефон,card=Карта,birthday=ДР,balance=Баллы"


def cli() -> click.Group:
    group = click.Group()
    kassa_bonus.register_cli_commands(group)
    return group


def run(tmp_path, *args):
    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[store]\nurl = "sqlite+aiosqlite:///{tmp_path / "k.db"}"\n[bonus]\n',
                   encoding="utf-8")
    res = CliRunner().invoke(cli(), ["bonus", *args, "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    return res.output


def test_import_dry_run_then_real_then_rerun(tmp_path):
    f = tmp_path / "guests.csv"
    f.write_text(CSV, encoding="utf-8")
    dry = json.loads(run(tmp_path, "import", str(f), "--map", MAP, "--dry-run", "--json"))
    assert (dry["created"], dry["updated"]) == (2, 0)
    reasons = dict((n, r) for n, r in dry["rejected"])
    assert reasons == {4: "neither phone nor card", 5: "not a valid phone number",
                       6: "the same guest appears earlier in the file",
                       7: "birthday '31.02.2000': expected YYYY-MM-DD or DD.MM.YYYY"}
    real = json.loads(run(tmp_path, "import", str(f), "--map", MAP, "--json"))
    assert real["created"] == 2 and real["rejected"] == dry["rejected"]
    again = json.loads(run(tmp_path, "import", str(f), "--map", MAP, "--json"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert "ledger is consistent" in run(tmp_path, "audit")
    f.write_text(CSV.replace("Борис", "Борис Иванов"), encoding="utf-8")
    upd = json.loads(run(tmp_path, "import", str(f), "--map", MAP, "--json"))
    assert upd["updated"] == 1 and upd["changes"] == [[3, "update name"]]


def test_import_xlsx_and_bad_mapping(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Phone", "Name"])
    wb.active.append(["+79161234567", "Anna"])
    path = tmp_path / "g.xlsx"
    wb.save(path)
    out = run(tmp_path, "import", str(path), "--map", "phone=Phone,name=Name")
    assert out.startswith("created 1, updated 0, unchanged 0, rejected 0")
    res = CliRunner().invoke(cli(), ["bonus", "import", str(path), "--map", "fone=Phone"])
    assert res.exit_code != 0 and "field one of" in res.output
