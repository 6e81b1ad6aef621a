"""docs/plugin-authoring.md is a tested artefact: its ``file=`` blocks are the example plugin
(docs/examples/kassa-hello holds the same files), installed into a fresh venv exactly as the
page says, whose own test then passes; and the workspace's copy works through its entry point."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kassa.plugins import Plugins, new_manager

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "plugin-authoring.md"
EXAMPLE = ROOT / "docs" / "examples" / "kassa-hello"
BLOCK = re.compile(r"^```\w+ file=kassa-hello/(\S+)\n(.*?)^```$", re.S | re.M)


def page_files() -> dict[str, str]:
    """The example's files: blocks marked ``file=kassa-hello/<path>``."""
    return {path: body for path, body in BLOCK.findall(PAGE.read_text(encoding="utf-8"))}


def page_commands() -> list[str]:
    """The ```sh block of section 5 ("Test it"): install and run the test."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\n## 5. ", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)
    assert len(blocks) == 1, "section 5 should have exactly one ```sh block (install, test)"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_the_page_shows_every_file_of_the_example_and_they_agree():
    files = page_files()
    assert {"pyproject.toml", "src/kassa_hello/__init__.py", "src/kassa_hello/settings.py",
            "src/kassa_hello/source.py", "src/kassa_hello/command.py",
            "src/kassa_hello/sim.py", "tests/test_hello.py"} <= set(files)
    on_disk = {str(p.relative_to(EXAMPLE)) for p in EXAMPLE.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert on_disk == set(files), "docs/examples/kassa-hello and the page list other files"
    for path, body in files.items():
        assert (EXAMPLE / path).read_text(encoding="utf-8") == body, (
            f"docs/examples/kassa-hello/{path} differs from its block in plugin-authoring.md")


def test_example_plugin_is_found_through_its_entry_point():
    names = {p["name"]: p["hooks"] for p in Plugins(new_manager()).describe()}
    assert names["hello"] == ["register_commands", "register_event_kinds", "register_settings",
                              "register_sources"]


def test_the_pages_kassa_toml_lines_are_accepted(tmp_path):
    """The [sites.hello] table the page shows is what the installed plugin reads per site."""
    from kassa.config import load

    blocks = re.findall(r"^```toml\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.S | re.M)
    site = next(b for b in blocks if "[sites.hello]" in b)
    cfg = tmp_path / "kassa.toml"
    cfg.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n' + site, encoding="utf-8")
    plugins = Plugins(new_manager())
    settings = load(cfg, sections=plugins.settings_sections(), channels=plugins.channel_names())
    site_settings = settings.site("r1")
    assert site_settings is not None
    assert site_settings.plugins["hello"].port == 7070  # what hub.site_section("r1", "hello") is


@pytest.mark.timeout(300)
def test_the_page_builds_from_an_empty_folder(tmp_path):
    """Write the page's blocks into an empty folder next to a "checkout" (the core), run the
    page's own commands there, and its test passes. Needs uv (the workspace runs on it) and
    PyPI for the build backend and the core's dependencies (served from uv's cache here)."""
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed")
    (tmp_path / "kassa").mkdir()
    os.symlink(ROOT / "core", tmp_path / "kassa" / "core")  # ../kassa/core, as the page says
    plugin = tmp_path / "kassa-hello"
    for path, body in page_files().items():
        (plugin / path).parent.mkdir(parents=True, exist_ok=True)
        (plugin / path).write_text(body, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT", "PYTHON", "KASSA_"))}
    python = shutil.which("python3", path=env.get("PATH")) or sys.executable
    for line in page_commands():
        words = line.split()
        if words[0] == "python":
            words[0] = python
        elif words[0] == "uv":
            words[0] = uv
        out = subprocess.run(words, cwd=plugin, env=env, capture_output=True, text=True,
                             timeout=240)
        assert out.returncode == 0, f"`{line}` failed:\n{out.stdout}\n{out.stderr}"
    assert "1 passed" in out.stdout, out.stdout
