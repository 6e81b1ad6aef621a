"""``kassa escpos ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

DEFAULT_PORT = 9100  # raw TCP printing ("JetDirect"), what ESC/POS network printers listen on


@click.group("escpos")
def escpos() -> None:
    """ESC/POS receipt and kitchen printers: an emulator to point a hub at."""


@escpos.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the first printer; the next ones take the following ports.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--printer", "printers", multiple=True, default=("kitchen",), show_default=True,
              help="Printer name, optionally NAME@SITE (repeat the option for more).")
@click.option("--strict/--lenient", default=False, show_default=True,
              help="Hang up on an unknown command instead of flagging it.")
@click.option("--quiet", is_flag=True, help="Do not print the tickets on stderr.")
def simulate(port: int, host: str, printers: tuple[str, ...], strict: bool,
             quiet: bool) -> None:
    """Run emulated printers until Ctrl+C; every ticket that arrives goes to stderr as text."""
    from kassa.simulate import serve

    from kassa_escpos.paper import Ticket
    from kassa_escpos.sim import EscposSimulator

    def show(name: str, ticket: Ticket) -> None:
        if not quiet:
            click.echo(f"=== {name} ===\n{ticket.render()}", err=True)

    pairs = [(p.partition("@")[0], p.partition("@")[2]) for p in dict.fromkeys(printers)]
    serve(lambda: EscposSimulator(pairs, host=host, port=port, strict=strict, on_ticket=show),
          what="the ESC/POS printer emulator", host=host, port=port, render=render,
          summary=lambda sim: "# stopped; " + ", ".join(
              f"{name}: {s['tickets']} tickets, {s['flags']} flagged commands"
              for name, s in sim.summary().items()))


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    """The ``[[escpos.printers]]`` tables to paste into kassa.toml, then how to use them."""
    from kassa.simulate import toml_pairs

    lines = ["# ESC/POS printer emulator; paste this into kassa.toml:"]
    for printer in fragment["escpos"]["printers"]:
        lines += ["", "[[escpos.printers]]", *toml_pairs(printer)]
    lines += ["", "# Every ticket that arrives is printed on stderr as text; status answers"
              " (DLE EOT) say online, paper present, cover shut. Ctrl+C stops it."]
    return "\n".join(lines)
