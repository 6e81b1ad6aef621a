"""The docs are part of the contract (datasette's meta-tests)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
from kassa.hookspecs import MODULES

ROOT = Path(__file__).resolve().parent.parent


def hookspecs() -> list[tuple[str, str]]:
    out = []
    for m in MODULES:
        mod = importlib.import_module(f"kassa.hookspecs.{m}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if hasattr(fn, "kassa_spec"):
                out.append((name, ", ".join(inspect.signature(fn).parameters)))
    return out


def test_every_design_hook_exists():
    names = {n for n, _ in hookspecs()}
    design = {"register_settings", "on_startup", "on_shutdown", "register_cli_commands",
              "register_routes", "register_console_panels", "register_simulators",
              "register_sources", "on_event", "register_channels", "format_message",
              "register_commands", "register_reports", "register_payment_methods",
              "register_loyalty_programs", "register_fiscal_devices", "register_devices",
              "register_migrations", "register_event_kinds", "register_texts",
              "register_console"}
    assert names == design


@pytest.mark.parametrize(("name", "params"), hookspecs())
def test_hook_is_documented_with_its_signature(name, params):
    docs = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert f"`{name}({params})`" in docs, f"docs/hooks.md lacks {name}({params})"


@pytest.mark.parametrize(("name", "params"), hookspecs())
def test_hook_has_a_test(name, params):
    tests = (ROOT / "tests" / "test_hooks.py").read_text(encoding="utf-8")
    assert f"def test_hook_{name}(" in tests


def test_readme_starts_with_the_two_commands():
    lines = [ln for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if ln.startswith("python3 -m pip install -q uv && uv run")]
    assert lines[:2] == ["python3 -m pip install -q uv && uv run kassa demo",
                         "python3 -m pip install -q uv && uv run nox -s tests"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "uv run nox -s tests" in ci and "uv run nox -s integration" in ci


def test_hooks_reference_is_generated_from_the_specs():
    import runpy

    gen = runpy.run_path(str(ROOT / "docs" / "gen_hooks.py"))
    assert (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8") == gen["render"](), \
        "docs/hooks.md is stale: run `uv run python docs/gen_hooks.py`"
