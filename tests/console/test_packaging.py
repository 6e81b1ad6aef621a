"""The console is its own distribution: the core neither depends on it nor imports it, finds
it through ``register_console``, and says what to install when it is missing."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from kassa.hookspecs.app import Console
from kassa.plugins import Plugins, new_manager

ROOT = Path(__file__).resolve().parents[2]
KASSA = str(Path(sys.executable).parent / "kassa")


def names(dist: str) -> set[str]:
    return {re.split(r"[\s;\[<>=!~]", r, maxsplit=1)[0].lower()
            for r in metadata.requires(dist) or []}


def test_the_core_does_not_depend_on_textual():
    assert {"textual", "textual-plotext"} & names("kassa") == set()
    assert {"kassa", "textual", "textual-plotext"} <= names("kassa-console")


def test_the_core_never_imports_the_console():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core" / "src").rglob("*.py")
                 if "kassa_console" in p.read_text(encoding="utf-8")
                 or "import textual" in p.read_text(encoding="utf-8")
                 or "from textual" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_the_installed_console_is_found_through_the_contract():
    found = Plugins(new_manager()).console()
    assert isinstance(found, Console)
    assert type(found).__module__.startswith("kassa_console")


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(Path(KASSA).parent), "KASSA_DISABLE_PLUGINS": "console",
           "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([KASSA, *args], capture_output=True, text=True, env=env, timeout=60)


def test_without_the_console_run_and_demo_say_what_to_install(tmp_path):
    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n[api]\nport = 0\ntoken = "t"\n',
                   encoding="utf-8")
    out = run("run", "--console", "-c", str(cfg), tmp_path=tmp_path)
    assert out.returncode == 2
    assert "pip install kassa-console" in out.stderr
    assert "running" not in out.stderr  # refused before the hub started
    out = run("demo", "--seconds", "1", tmp_path=tmp_path)
    assert out.returncode == 1 and "pip install kassa-console" in out.stdout
    assert "console" not in run("--help", tmp_path=tmp_path).stdout.split("Commands:")[1]
