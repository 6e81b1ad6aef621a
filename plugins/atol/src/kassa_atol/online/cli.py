"""``kassa atol simulate-online``: the ATOL Online simulator from the shell. The plugin's
``atol`` group adds this command (``group.add_command(simulate_online)``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

DEFAULT_PORT = 16780  # ours; the cloud has no local port


@click.command("simulate-online")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the simulated ATOL Online (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--delay", type=float, default=1.0, show_default=True,
              help="Seconds a document stays 'wait' before it is done.")
@click.option("--seconds", type=float, default=0.0, hidden=True)  # tests: stop by itself
def simulate_online(port: int, host: str, delay: float, seconds: float) -> None:
    """Run a simulated ATOL Online v5 (token, documents, reports) until Ctrl+C."""
    from kassa.simulate import serve

    from kassa_atol.online.sim import AtolOnlineSimulator

    serve(lambda: AtolOnlineSimulator(host=host, port=port, process_delay=delay),
          what="the ATOL Online simulator", host=host, port=port, render=render,
          seconds=seconds,
          summary=lambda sim: f"# stopped; {sim.effects()} document(s) made")


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    from kassa.simulate import toml_pairs

    acc = fragment["atol"]["online"][0]
    return "\n".join([
        f"# ATOL Online v5 simulator at {acc['base_url']}; paste this into kassa.toml:", "",
        "[[atol.online]]", *toml_pairs(acc), "",
        f"# documents: curl -s http://{sim.host}:{sim.port}/_sim/state",
        f"# faults: curl -s -X POST http://{sim.host}:{sim.port}/_sim/faults -d "
        "'{\"outage\": true}' (also inject, fail_next, hang, expire_tokens; see "
        "docs/plugins/atol-online.md)",
        "# Running; Ctrl+C stops the simulator."])
