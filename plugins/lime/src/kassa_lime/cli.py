"""``kassa lime ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

DEFAULT_PORT = 5080


@click.group("lime")
def lime() -> None:
    """Lime (lime-it.ru): a simulator of its Jade API to point a hub at."""


@lime.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the simulated Lime API (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
def simulate(port: int, host: str) -> None:
    """Run a simulated Lime API until Ctrl+C, with an installation, a cashdesk and cards."""
    from kassa.simulate import serve, toml_block, toml_pairs

    from kassa_lime.sim import DEMO_RANGE, LimeSimulator

    def render(fragment: Mapping[str, Any], sim: LimeSimulator) -> str:
        table = dict(fragment["lime"])
        goods = table.pop("good_types", [])
        lines = [f"# Lime simulator at {sim.url}; cards {DEMO_RANGE[0]}..{DEMO_RANGE[1]} "
                 "(each: Депозит 5000.00, Бонусы 300.00); paste this into kassa.toml:",
                 toml_block({"lime": table})]
        for good in goods:  # an array of tables: toml_block leaves those out of a table
            lines += ["", "[[lime.good_types]]", *toml_pairs(good)]
        return "\n".join(lines)

    serve(lambda: LimeSimulator(host=host, port=port), what="the Lime simulator", host=host,
          port=port, render=render,
          summary=lambda sim: f"# stopped; checks put: {sim.model.put_checks}")
