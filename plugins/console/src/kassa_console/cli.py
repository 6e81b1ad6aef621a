"""``kassa console``. Only click here: the console itself is imported when the command runs."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command()
@click.option("--url", default="http://127.0.0.1:8765", show_default=True)
@click.option("--token", default=None, help="Admin token (default: $KASSA_API_TOKEN or the "
              "token file in the data folder).")
@click.option("--replay", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Play a recorded event log (JSON lines) instead of a live hub.")
@click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
def console(url: str, token: str | None, replay: str | None, locale: str) -> None:
    """The operator console, attached to a running hub."""
    from kassa_console.launch import run_console

    tok = token or os.environ.get("KASSA_API_TOKEN")
    if not tok and not replay:
        path = Path(os.environ.get("KASSA_DATA_DIR") or "~/.local/share/kassa").expanduser()
        f = path / "api-token"
        tok = f.read_text().strip() if f.exists() else ""
    run_console(url, tok or "", locale=locale, replay=replay)
