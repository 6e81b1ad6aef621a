"""``kassa scales ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

PROTOCOLS = ("cas", "massak", "mtsics", "shtrih_pos2", "shtrih_print")


@click.group("scales")
def scales() -> None:
    """POS and label scales: emulators to point a hub at."""


@scales.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=4305, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--protocol", type=click.Choice(PROTOCOLS), default="mtsics", show_default=True)
@click.option("--variant", type=click.Choice(["pdii", "type1"]), default=None,
              help="CAS only: the ECR protocol set on the scale (default pdii).")
@click.option("--name", default="scale", show_default=True)
@click.option("--site", default="s1", show_default=True)
@click.option("--weight", type=int, default=1250, show_default=True,
              help="Grams on the platform after the script.")
@click.option("--script", default="",
              help="Weight curve before it: comma-separated ramp:G:S, settle:G:S, "
                   "noise:G:S, overload:S, hold:G:S (grams, seconds).")
@click.option("--pty", is_flag=True, help="Serve on a pseudo-terminal instead of TCP.")
def simulate(port: int, host: str, protocol: str, variant: str | None, name: str, site: str,
             weight: int, script: str, pty: bool) -> None:
    """Run one emulated scale until Ctrl+C."""
    from kassa.simulate import serve

    from kassa_scales.sim import LabelScaleEmulator, ScaleSimulator, emulator_for

    if variant and protocol != "cas":
        raise click.BadParameter(f"{protocol} has no variants", param_hint="--variant")
    curve = parse_script(script, weight)
    which = f"{protocol}:{variant}" if variant else protocol

    def make() -> Any:
        emu = (LabelScaleEmulator(curve=curve) if protocol == "shtrih_print"
               else emulator_for(which, curve))
        return ScaleSimulator(emu, name=name, site=site, host=host, port=port, pty=pty)

    serve(make, what=f"the {protocol} scale emulator", host=host, port=port, render=render)


def parse_script(script: str, weight: int) -> Any:
    from kassa_scales.sim import Curve

    curve = Curve(start=0)
    for step in filter(None, (s.strip() for s in script.split(","))):
        kind, *args = step.split(":")
        try:
            nums = [float(a) for a in args]
            if kind == "overload":
                curve.overload(*nums)
            else:
                getattr(curve, kind)(*nums)
        except (AttributeError, TypeError, ValueError):
            raise click.BadParameter(f"cannot read {step!r}", param_hint="--script") from None
    return curve.hold(weight, 0) if curve.segments else Curve.steady(weight)


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    from kassa.simulate import toml_pairs

    lines = ["# scale emulator; paste this into kassa.toml:"]
    for device in fragment["scales"]["devices"]:
        lines += ["", "[[scales.devices]]", *toml_pairs(device)]
    lines += ["", "# Ctrl+C stops it."]
    return "\n".join(lines)
