"""The plugins' commands of ``kassa``, listed without importing a plugin.

Plugin commands come from ``register_cli_commands``, which needs the plugin imported; with every
plugin installed that import is most of ``kassa --help``'s time. So the first run imports them
all once and writes an index (command -> plugin module, help text) to the user's cache dir
(``$KASSA_CACHE_DIR``, else ``$XDG_CACHE_HOME/kassa``, else ``~/.cache/kassa``). Later runs list
the commands from it, and a plugin is imported only when one of its own commands runs.

The index holds while nothing installed changed. Its key is the interpreter, the plugin
selection (``KASSA_LOAD_PLUGINS`` / ``KASSA_DISABLE_PLUGINS``) and the modification times of
the site-packages directories (installing, upgrading or removing a distribution changes them);
beside it the index records every plugin's source files and folders (an editable checkout
changes those). Any change rebuilds it; so does a command name it does not know. A cache dir
that cannot be written only costs the speed.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from types import ModuleType
from typing import Any

import click

FORMAT = 1
MAX_KEYS = 8  # interpreters / venvs sharing one cache file (tests on 3.11, 3.12, 3.13)
Entry = dict[str, Any]
ENTRY_KEYS = frozenset({"name", "plugin", "module", "help", "short_help", "hidden"})


def cache_path() -> str:
    base = os.environ.get("KASSA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kassa")
    return os.path.join(base, "cli-commands.json")


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def install_key() -> str:
    """What is installed for this interpreter, as one string (no import of any metadata)."""
    sites = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return json.dumps([FORMAT, sys.executable, os.environ.get("KASSA_LOAD_PLUGINS"),
                       os.environ.get("KASSA_DISABLE_PLUGINS"),
                       [(p, _mtime(p)) for p in sites]])


def sources(modules: list[Any]) -> dict[str, int | None]:
    """Folders and ``.py`` files of the plugins' packages, with their modification times."""
    out: dict[str, int | None] = {}
    for mod in modules:
        path = getattr(mod, "__file__", None)
        if not path:
            continue
        if os.path.basename(path) != "__init__.py":
            out[path] = _mtime(path)
            continue
        for folder, dirs, files in os.walk(os.path.dirname(path)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            out[folder] = _mtime(folder)
            for f in files:
                if f.endswith(".py"):
                    full = os.path.join(folder, f)
                    out[full] = _mtime(full)
    return out


def _read() -> dict[str, Any]:
    try:
        with open(cache_path(), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, Any]) -> None:
    path = cache_path()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, path)  # readers see the old index or the new one, never half
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def index() -> dict[str, Entry]:
    """``{command: entry}`` of the installed plugins' commands, from the cache when it holds."""
    entry: Any = _read().get(install_key())
    try:
        fresh = all(_mtime(p) == m for p, m in entry["sources"].items())
        if fresh and all(ENTRY_KEYS <= c.keys() for c in entry["commands"]):
            return {c["name"]: c for c in entry["commands"]}
    except (KeyError, TypeError, AttributeError):  # no entry, or not one this code wrote
        pass
    return rebuild()[0]


def rebuild() -> tuple[dict[str, Entry], dict[str, click.Command]]:
    """Import every plugin, ask each for its commands, write the index. Answers the index and
    the real commands. A broken plugin is a warning naming it (the core's and the other
    plugins' commands still work), and nothing is cached, so the next run tries again."""
    from kassa.plugins import get_plugins

    failed: list[tuple[str, Exception]] = []
    try:
        plugins = get_plugins()
        found = plugins.cli_commands(failed)
    except Exception as exc:  # a plugin that does not even load must not take the CLI down
        click.echo(f"warning: a plugin's CLI commands failed to load: {exc}", err=True)
        return {}, {}
    for plugin_name, error in failed:
        click.echo(f"warning: plugin {plugin_name!r}: its CLI commands failed to load: {error}",
                   err=True)
    entries: dict[str, Entry] = {}
    commands: dict[str, click.Command] = {}
    for plugin_name, plugin, cmd in found:
        if cmd.name is None:
            continue
        module = plugin.__name__ if isinstance(plugin, ModuleType) else None
        entries[cmd.name] = {"name": cmd.name, "plugin": plugin_name, "module": module,
                             "help": cmd.help, "short_help": cmd.short_help,
                             "hidden": cmd.hidden}
        commands[cmd.name] = cmd
    modules = [p for p in plugins.pm.get_plugins() if isinstance(p, ModuleType)
               and not p.__name__.startswith("kassa.")]
    if failed:
        return entries, commands  # not cached: the next run asks the broken plugin again
    key = install_key()
    # an older key of this interpreter and selection is stale for good: drop it
    data = {k: v for k, v in _read().items() if not _same_setup(k, key)}
    data[key] = {"sources": sources(modules), "commands": list(entries.values())}
    _write(dict(list(data.items())[-MAX_KEYS:]))
    return entries, commands


def _same_setup(a: str, b: str) -> bool:
    """Two keys of one interpreter and plugin selection (whatever their mtimes)."""
    try:
        return bool(json.loads(a)[:4] == json.loads(b)[:4])
    except (ValueError, TypeError):
        return True  # not a key this code wrote


def placeholder(entry: Entry) -> click.Command:
    """A stand-in that only lists the command (its name and help) in ``kassa --help``."""
    return click.Command(entry["name"], help=entry["help"], short_help=entry["short_help"],
                         hidden=bool(entry["hidden"]))


def load(name: str, entries: dict[str, Entry]) -> click.Command | None:
    """The real command ``name``, importing only the plugin that adds it (every plugin when
    the index does not know the name or the plugin is not a module)."""
    entry = entries.get(name)
    if entry is not None and entry["module"]:
        from kassa.plugins import Plugins, new_manager

        try:
            plugin = importlib.import_module(entry["module"])
            scratch = click.Group()
            Plugins(new_manager(entry_points=False, builtins=False, extra=[plugin])
                    ).register_cli_commands(scratch)
        except Exception as exc:
            click.echo(f"warning: plugin {entry['plugin']!r} failed to load: {exc}", err=True)
            return None
        if name in scratch.commands:
            return scratch.commands[name]
    fresh, commands = rebuild()  # a stale index or a name it does not know
    entries.clear()
    entries.update(fresh)
    return commands.get(name)


__all__ = ["cache_path", "index", "install_key", "load", "placeholder", "rebuild"]
