"""Kassa plugin console: the operator console (Textual), a client of the hub's admin API.
Hooks only: ``kassa console``, the console ``kassa run --console`` and ``kassa demo`` open."""

from __future__ import annotations

from typing import Any

from kassa import hookimpl


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_console.cli import console

    cli.add_command(console)


@hookimpl
def register_console() -> Any:
    from kassa_console.launch import TextualConsole

    return TextualConsole()
