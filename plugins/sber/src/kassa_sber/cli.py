"""``kassa sber ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

DEFAULT_PORT = 7790  # the control server's port (sb_pilot itself has none: it is a program)


@click.group("sber")
def sber() -> None:
    """Sberbank UPOS card terminals: an sb_pilot emulator to point a hub at."""


@sber.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port of the control server that scripts the next outcome.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--work-dir", type=click.Path(file_okay=False), default="./sber-sim",
              show_default=True, help="The terminal's folder: p, e and its control tape.")
@click.option("--name", default="sber-sim", show_default=True,
              help="The terminal's name in kassa.toml.")
def simulate(port: int, host: str, work_dir: str, name: str) -> None:
    """Prepare an emulated terminal and serve its control port until Ctrl+C."""
    from pathlib import Path

    from kassa.simulate import serve

    from kassa_sber.sim import SberSimulator, summary

    folder = Path(work_dir).resolve()
    serve(lambda: SberSimulator(folder, host=host, port=port, name=name),
          what="the Sber terminal emulator's control server", host=host, port=port,
          render=render, summary=lambda sim: f"# stopped; {summary(sim.work_dir)}")


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    from kassa.simulate import toml_pairs

    lines = ["# Sberbank UPOS emulator (sb_pilot stand-in); paste this into kassa.toml:",
             "", "[sber]"]
    for t in fragment["sber"]["terminals"]:
        lines += ["", "[[sber.terminals]]", *toml_pairs(t)]
    lines += ["", f"# script the next outcome: printf 'decline 51\\n' | nc {sim.host} {sim.port}",
              "# commands: approve | decline [rcode] [text] | cancel | timeout | nolink | hang"
              " | crash | garbage | approve-hang | delay S | pinpad on|off | state"]
    return "\n".join(lines)
