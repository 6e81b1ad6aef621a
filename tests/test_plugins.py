"""Plugin discovery: entry points, KASSA_LOAD_PLUGINS, misspelled hooks, introspection."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from kassa import hookimpl
from kassa.errors import UserError
from kassa.plugins import Plugins, new_manager


def test_misspelled_hook_fails_loudly_naming_the_plugin():
    class Typo:
        @hookimpl
        def register_chanels(self):  # sic
            return []

    with pytest.raises(UserError, match="register_chanels") as err:
        new_manager(entry_points=False, extra=[Typo()])
    assert "plugin" in str(err.value)


def test_load_only_named_plugins(monkeypatch):
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "telegram")
    names = [p["name"] for p in Plugins(new_manager()).describe()]
    assert names == ["telegram"]
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "")
    assert Plugins(new_manager()).describe() == []


def test_disable_a_plugin(monkeypatch):
    monkeypatch.setenv("KASSA_DISABLE_PLUGINS", "max")
    names = [p["name"] for p in Plugins(new_manager()).describe()]
    assert "max" not in names and "telegram" in names


def test_plugins_command_prints_json():
    from kassa.cli import cli

    out = CliRunner().invoke(cli, ["plugins", "--json", "--all"])
    assert out.exit_code == 0
    data = {p["name"]: p for p in json.loads(out.output)}
    assert "register_sources" in data["rkeeper"]["hooks"]
    assert data["rkeeper"]["version"] == "0.1.0"
    assert "format_message" in data["kassa.notify_default"]["hooks"]


def test_the_console_is_found_again_after_the_first_checked_call():
    """register_console is a firstresult hook: the fast path after the first (checked) call
    gets one value from pluggy, not a list ('kassa demo' opened no console when it did)."""

    class Console:
        async def attach(self, client, locale):
            return None

    console = Console()

    class Provides:
        @hookimpl
        def register_console(self):
            return console

    plugins = Plugins(new_manager(entry_points=False, extra=[Provides()]))
    assert plugins.console() is console
    assert plugins.console() is console  # the fast path
