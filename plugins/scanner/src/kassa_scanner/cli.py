"""``kassa scanner ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click


@click.group("scanner")
def scanner() -> None:
    """Barcode scanners: an emulated serial scanner (a pty) to point a hub at."""


@scanner.command("simulate")
@click.option("--terminator", type=click.Choice(["cr", "crlf", "lf", "none"]), default="cr",
              show_default=True)
@click.option("--hidpos", is_flag=True,
              help="A USB HID POS scanner (its 64-byte reports on the pty, as on /dev/hidrawN) "
                   "instead of a serial one.")
@click.option("--aim", default="", help="With --hidpos: the AIM identifier sent (]d2, ]E0...).")
@click.option("--code", "codes", multiple=True,
              help="A code to scan (repeat); \\x1d or <GS> in it is the GS separator.")
@click.option("--every", type=float, default=2.0, show_default=True,
              help="Seconds between scans; the codes repeat until Ctrl+C.")
@click.option("--char-delay", type=float, default=0.0, show_default=True,
              help="Seconds between the bytes of a code (a slow UART).")
@click.option("--seconds", type=float, default=0.0, help="Stop after this long (0: never).")
def simulate(terminator: str, hidpos: bool, aim: str, codes: tuple[str, ...], every: float,
             char_delay: float, seconds: float) -> None:
    """Run an emulated serial (or HID POS) scanner on a pty, scanning the codes over and
    over."""
    import anyio
    from kassa.simulate import serve

    from kassa_scanner.sim import ScannerSimulator

    items = [c.replace("<GS>", "\x1d").replace("\\x1d", "\x1d") for c in codes] or [
        "4607001234562"]

    async def during(sim: ScannerSimulator) -> None:
        pty = sim["scanner-1"]
        while True:
            for code in items:
                await anyio.sleep(every)
                await pty.scan(code, char_delay=char_delay, **({"aim": aim} if hidpos else {}))
                click.echo(f"scanned {code!r}", err=True)

    if aim and not hidpos:
        raise click.UsageError("--aim is for a HID POS scanner: add --hidpos.")
    kind = "hidpos" if hidpos else terminator
    serve(lambda: ScannerSimulator([("scanner-1", kind)]), what="the scanner emulator",
          port=0, render=render, seconds=seconds, during=during)


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    from kassa.simulate import toml_pairs

    lines = ["# Scanner emulator (a pty); paste this into kassa.toml:"]
    for s in fragment["scanner"]["scanners"]:
        lines += ["", "[[scanner.scanners]]", *toml_pairs(s)]
    lines += ["", "# It scans the codes on a timer; Ctrl+C stops it."]
    return "\n".join(lines)
