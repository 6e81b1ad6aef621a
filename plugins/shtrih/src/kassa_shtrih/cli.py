"""``kassa shtrih ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

DEFAULT_PORT = 7778  # the TCP port of Shtrih-M registers (fiscal.md §3.1)


@click.group("shtrih")
def shtrih() -> None:
    """Shtrih-M fiscal registers: an emulator to point a hub at."""


@shtrih.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port of the emulated register (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--pty/--no-pty", default=False, show_default=True,
              help="Also serve the serial path on a pseudo-terminal.")
@click.option("--control-port", type=click.IntRange(0, 65535), default=None,
              help="Port for fault injection (lines such as 'paper out', 'state'); "
                   "default: --port + 1.")
@click.option("--name", default="shtrih-sim", show_default=True,
              help="The register's name in kassa.toml.")
@click.option("--ofd-url", default="",
              help="The FN transmits its documents to this OFD emulator "
                   "(e.g. http://127.0.0.1:8090); default: it transmits nothing.")
@click.option("--ofd-delay", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds after a document is made before the FN sends it.")
def simulate(port: int, host: str, pty: bool, control_port: int | None, name: str,
             ofd_url: str, ofd_delay: float) -> None:
    """Run an emulated Shtrih-M register until Ctrl+C."""
    from kassa.simulate import serve

    from kassa_shtrih.sim import ShtrihSimulator

    ctl = control_port if control_port is not None else (port + 1 if port else 0)
    serve(lambda: ShtrihSimulator(host=host, port=port, pty=pty, control_port=ctl,
                                  register_name=name, ofd_url=ofd_url, ofd_delay=ofd_delay),
          what="the Shtrih-M emulator", host=host, port=port, render=render,
          summary=lambda sim: f"# stopped; {sim.state()}")


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    from kassa.simulate import toml_pairs

    lines = ["# Shtrih-M emulator; paste this into kassa.toml:", "", "[shtrih]"]
    for reg in fragment["shtrih"]["registers"]:
        tcp_only = {k: v for k, v in reg.items() if k not in ("serial", "baud")}
        lines += ["", "[[shtrih.registers]]", *toml_pairs(tcp_only)]
        if "serial" in reg:
            lines.append(f"# or over the pty: serial = \"{reg['serial']}\", baud = {reg['baud']}")
    lines += ["", f"# fault injection: printf 'paper out\\n' | nc {sim.host} {sim.control_port}",
              "# commands: state | paper out|in|runs-out | fn off|on | link off|on | "
              "drop-answer [FF45] | corrupt-answer | ofd-backlog N | ofd-link off|on | "
              "marking decline|accept | "
              "advance SECONDS | delay SECONDS"]
    return "\n".join(lines)
