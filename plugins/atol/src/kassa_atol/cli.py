"""``kassa atol ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

DEFAULT_PORT = 16732  # the ATOL Web Server's own default port (fiscal.md §2.2)


@click.group("atol")
def atol() -> None:
    """ATOL registers: a Web Server emulator to point a hub at."""


@atol.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the emulated Web Server (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--site", default="r1", show_default=True, help="The site the register serves.")
@click.option("--delay", type=float, default=0.2, show_default=True,
              help="Seconds the register takes per request (tasks run asynchronously).")
@click.option("--auto-open-shift/--no-auto-open-shift", default=False, show_default=True,
              help="Open the shift on the first receipt, as the driver can.")
@click.option("--ofd-url", default="", metavar="URL",
              help="An OFD emulator the FN transmits its documents to (fiscal.md §9 tickets "
                   "to URL/_sim/documents), e.g. the one 'kassa ofd simulate' prints.")
@click.option("--ofd-delay", type=float, default=1.0, show_default=True,
              help="Seconds after a document is made until the FN sends it.")
@click.option("--state-file", default=None, type=click.Path(dir_okay=False), metavar="PATH",
              help="Keep the FN's and the Web Server's state here across restarts.")
def simulate(port: int, host: str, site: str, delay: float, auto_open_shift: bool,
             ofd_url: str, ofd_delay: float, state_file: str | None) -> None:
    """Run an emulated ATOL Web Server with one register until Ctrl+C."""
    from kassa.simulate import serve

    from kassa_atol.sim import AtolSimulator, StateError

    if state_file:  # a file it cannot read: one sentence before anything is served
        probe = AtolSimulator(site, state_file=state_file)
        try:
            assert probe.state is not None
            probe.state.load(probe.web)
        except StateError as exc:
            raise click.ClickException(str(exc)) from None
    serve(lambda: AtolSimulator(site, host=host, port=port, delay=delay,
                                auto_open_shift=auto_open_shift, ofd_url=ofd_url,
                                ofd_delay=ofd_delay, state_file=state_file),
          what="the ATOL Web Server emulator", host=host, port=port, render=render,
          summary=lambda sim: f"# stopped; the FN holds {sim.kkt.fd} fiscal documents")


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    """The kassa.toml block (``[[atol.registers]]``, ``[[sites]]``), then how to drive the
    emulator, as TOML comments (the whole output parses as TOML)."""
    from kassa.simulate import toml_pairs

    base = sim.url
    block: list[str] = []
    for entry in fragment["atol"]["registers"]:
        block += ["[[atol.registers]]", *toml_pairs(entry), ""]
    for site in fragment["sites"]:
        block += ["[[sites]]", *toml_pairs(site), ""]
    return "\n".join([
        f"# ATOL Web Server emulator at {base} (register {sim.register}, FN 9999078900000961);"
        " paste this into kassa.toml:", "", *block,
        "# Tasks: curl -s -X POST " + base + "/api/v2/requests -d "
        "'{\"uuid\": \"1\", \"request\": [{\"type\": \"openShift\"}]}'; "
        "curl -s " + base + "/api/v2/requests/1",
        f"# Faults: curl -s -X POST {base}/_sim/faults -d '{{\"paper\": false}}' "
        "(paper, cover_open, fn_present, fn_full, ofd_failing, marking_declined, paper_after,"
        " drop_answers); clock: -d '{\"advance\": 86400}' to /_sim/clock; state: /_sim/state",
        f"# OFD: {sim.link.url if sim.link else 'none (--ofd-url)'}; state file: "
        f"{sim.state.path if sim.state else 'none (--state-file)'}",
        "# Running; Ctrl+C stops the emulator."])


def _add_online() -> None:
    from kassa_atol.online.cli import simulate_online

    atol.add_command(simulate_online)


_add_online()
