"""The hub builds the parts; the parts never import the hub, nor reach into private members."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "core" / "src" / "kassa"
PARTS = ["api/app.py", "api/server.py", "api/host.py", "relay.py", "commands.py",
         "reports/service.py", "outbox.py", "eventlog.py", "supervision.py"]


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, TYPE_CHECKING blocks and function bodies included."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("part", PARTS)
def test_part_does_not_import_the_hub(part):
    assert "kassa.hub" not in imported_modules(CORE / part)


def test_no_module_calls_another_modules_private_members():
    pattern = re.compile(r"\b(hub|self\.hub|store|outbox|log)\._[a-z]")
    hits = [f"{p.relative_to(CORE)}:{i}: {line.strip()}"
            for p in sorted(CORE.rglob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)]
    assert hits == []


def test_dialect_insert_lives_in_the_store_and_keeps_its_old_name():
    from kassa import eventlog, store

    assert store.dialect_insert is vars(eventlog)["dialect_insert"]  # imported, not exported
    assert store.dialect_insert.__module__ == "kassa.store.dialect"
