"""``kassa pos exchange import|export`` end to end on a temporary store."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from kassa_pos.cli import group

FIX = Path(__file__).parent / "exchange_fixtures"


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "kassa.toml"
    config.write_text(f'[store]\nurl = "sqlite+aiosqlite:///{tmp_path / "kassa.db"}"\n'
                      f'[hub]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    return config


def test_import_a_directory_dry_then_twice_then_export(tmp_path: Path) -> None:
    cfg = str(_config(tmp_path))
    run = CliRunner().invoke
    dry = run(group(), ["exchange", "import", str(FIX), "--dry-run", "-c", cfg])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("пробный прогон, ничего не записано\nдобавлено: 3 (")
    assert "import.xml:" in dry.output and "нет штрихкода и артикула" in dry.output
    first = run(group(), ["exchange", "import", str(FIX), "-c", cfg])
    assert first.exit_code == 0 and "версия каталога: 1" in first.output, first.output
    again = run(group(), ["exchange", "import", str(FIX), "-c", cfg, "--locale", "en"])
    assert "unchanged: 3" in again.output and "catalog version: 1" in again.output
    out = tmp_path / "orders.xml"
    exp = run(group(), ["exchange", "export", "--from", "2026-03-01", "--to", "2026-03-02",
                        "-o", str(out), "-c", cfg])
    assert exp.exit_code == 0 and out.exists(), exp.output
    assert "<КоммерческаяИнформация" in out.read_text("utf-8")


def test_an_unknown_format_and_a_malformed_file_are_one_sentence(tmp_path: Path) -> None:
    cfg = str(_config(tmp_path))
    run = CliRunner().invoke
    res = run(group(), ["exchange", "import", str(FIX), "--format", "sap", "-c", cfg])
    assert res.exit_code == 1 and "Формат обмена «sap» не найден" in res.output
    bad = tmp_path / "import.xml"
    bad.write_text("<КоммерческаяИнформация>\n<Каталог>\n", "utf-8")
    res = run(group(), ["exchange", "import", str(bad), "-c", cfg])
    assert res.exit_code == 1 and "import.xml:3: файл не является корректным XML" in res.output
