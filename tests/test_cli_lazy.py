"""Plugin commands are lazy: ``kassa --help`` lists them from an index without importing any
plugin, a plugin is imported when its own command runs, and the index follows what is
installed (a new version of a plugin's help, a removed plugin, a broken one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PY = sys.executable
PLUGIN = '''
from kassa import hookimpl


@hookimpl
def register_cli_commands(cli):
    import click

    @cli.command("acme")
    def acme():
        """{help}"""
        click.echo("acme ran")
'''
# runs the CLI in-process, then writes which modules it imported
PROBE = """
import atexit, json, sys
def dump(path=sys.argv[1]):
    with open(path, "w") as f:
        json.dump(sorted(sys.modules), f)
atexit.register(dump)
sys.argv = ["kassa", *sys.argv[2:]]
from kassa.cli import main
main()
"""


class Site:
    """A throwaway site-packages folder with one plugin distribution ``acme`` in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.site = root / "lib" / "site-packages"
        self.pkg = self.site / "acme_cli"
        self.info = self.site / "acme-0.1.dist-info"
        self.cache = root / "cache"

    def install(self, help_text: str) -> None:
        self.pkg.mkdir(parents=True, exist_ok=True)
        self.info.mkdir(exist_ok=True)
        (self.info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme\nVersion: 0.1\n")
        (self.info / "entry_points.txt").write_text("[kassa]\nacme = acme_cli\n")
        init = self.pkg / "__init__.py"
        before = init.stat().st_mtime_ns if init.exists() else 0
        init.write_text(PLUGIN.format(help=help_text))
        os.utime(init, ns=(before + 10**9, before + 10**9))  # a later mtime, however coarse

    def uninstall(self) -> None:
        for p in [*self.info.iterdir(), *self.pkg.rglob("*.py")]:
            p.unlink()
        self.info.rmdir()

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.site), "KASSA_LOAD_PLUGINS": "acme,rkeeper",
                "KASSA_CACHE_DIR": str(self.cache), **extra}

    def kassa(self, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        mods = self.root / "modules.json"
        out = subprocess.run([PY, "-c", PROBE, str(mods), *args], capture_output=True,
                             text=True, env=self.env(**env), timeout=120)
        return out, json.loads(mods.read_text()) if mods.exists() else []


def commands(help_output: str) -> dict[str, str]:
    lines = help_output.split("Commands:\n", 1)[1].splitlines()
    return {ln.split(None, 1)[0]: ln.split(None, 1)[1] for ln in lines if ln.strip()}


def test_help_lists_plugin_commands_without_importing_plugins(tmp_path):
    site = Site(tmp_path)
    site.install("Acme tools, version one.")
    out, mods = site.kassa("--help")  # first run: builds the index
    assert out.returncode == 0, out.stderr
    listed = commands(out.stdout)
    assert listed["acme"] == "Acme tools, version one."
    assert listed["rkeeper"].startswith("r_keeper") and "run" in listed
    assert "acme_cli" in mods

    out, mods = site.kassa("--help")
    assert commands(out.stdout) == listed
    assert not [m for m in mods if m.startswith(("acme_cli", "kassa_", "kassa.plugins"))], mods

    out, mods = site.kassa("acme")  # its own plugin only, not the others
    assert out.stdout == "acme ran\n", out.stderr
    assert "acme_cli" in mods and "kassa_rkeeper" not in mods


def test_the_index_follows_what_is_installed(tmp_path):
    site = Site(tmp_path)
    site.install("Acme tools, version one.")
    site.kassa("--help")
    site.install("Acme tools, version two.")  # an editable checkout edited in place
    out, _ = site.kassa("--help")
    assert commands(out.stdout)["acme"] == "Acme tools, version two."
    site.uninstall()
    out, _ = site.kassa("--help")
    assert "acme" not in commands(out.stdout) and "rkeeper" in commands(out.stdout)
    keys = json.loads((site.cache / "cli-commands.json").read_text())
    assert len(keys) == 1  # the keys of what was installed before are dropped, not kept
    out, _ = site.kassa("--help", KASSA_LOAD_PLUGINS="")  # another selection: another key
    assert "rkeeper" not in commands(out.stdout) and "run" in commands(out.stdout)
    assert len(json.loads((site.cache / "cli-commands.json").read_text())) == 2


def test_a_broken_or_unwritable_cache_costs_only_speed(tmp_path):
    site = Site(tmp_path)
    site.install("Acme tools.")
    site.cache.mkdir()
    (site.cache / "cli-commands.json").write_text("{not json")
    out, _ = site.kassa("--help")
    assert commands(out.stdout)["acme"] == "Acme tools."
    data = json.loads((site.cache / "cli-commands.json").read_text())
    for key in data:
        data[key] = {"sources": {}, "commands": [{"name": "acme"}]}  # not what kassa writes
    (site.cache / "cli-commands.json").write_text(json.dumps(data))
    out, _ = site.kassa("--help")
    assert out.returncode == 0 and commands(out.stdout)["acme"] == "Acme tools.", out.stderr
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    out, _ = site.kassa("acme", KASSA_CACHE_DIR=str(blocked / "kassa"))
    assert out.returncode == 0 and out.stdout == "acme ran\n", out.stderr


def test_a_broken_plugin_leaves_the_core_commands(tmp_path):
    site = Site(tmp_path)
    site.install("Acme tools.")
    (site.pkg / "__init__.py").write_text("raise RuntimeError('acme is broken')\n")
    out, _ = site.kassa("--help")
    assert out.returncode == 0
    assert "acme is broken" in out.stderr and "warning" in out.stderr
    assert {"run", "config", "demo"} <= set(commands(out.stdout))
    assert not (site.cache / "cli-commands.json").exists()  # tried again next time


def test_a_plugin_whose_commands_fail_leaves_the_other_plugins_commands(tmp_path):
    """The plugin imports, but its register_cli_commands raises (a module it names is not
    there yet): a warning naming it, and r_keeper's commands are still listed and run."""
    site = Site(tmp_path)
    site.install("Acme tools.")
    (site.pkg / "__init__.py").write_text(
        "from kassa import hookimpl\n\n\n@hookimpl\ndef register_cli_commands(cli):\n"
        "    from acme_cli.cli import acme  # not written yet\n")
    out, _ = site.kassa("--help")
    assert out.returncode == 0, out.stderr
    assert "plugin 'acme'" in out.stderr and "acme_cli.cli" in out.stderr
    assert {"run", "demo", "rkeeper"} <= set(commands(out.stdout))
    assert not (site.cache / "cli-commands.json").exists()  # tried again next time
    out, _ = site.kassa("rkeeper", "--help")
    assert out.returncode == 0 and "simulate" in out.stdout
