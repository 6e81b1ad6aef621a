"""``kassa video ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

# no default port is documented for either vendor (ofd_video.md C.5, C.6): ours
DEFAULT_PORT = 9520


@click.group("video")
def video() -> None:
    """Video surveillance POS feeds: an emulated video system to point a hub at."""


@video.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the first input; the next ones take the following ports.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--input", "inputs", multiple=True, default=("video",), show_default=True,
              help="Input name, optionally NAME@SITE (repeat the option for more).")
@click.option("--protocol", type=click.Choice(["dssl", "axxon", "text"]), default="dssl",
              show_default=True, help="What every input reads.")
@click.option("--encoding", type=click.Choice(["utf-8", "windows-1251"]), default="utf-8",
              show_default=True, help="Axxon and text: the encoding they expect.")
@click.option("--transport", type=click.Choice(["tcp", "udp"]), default="tcp",
              show_default=True, help="udp: one datagram per event (no hang-up to force).")
@click.option("--quiet", is_flag=True, help="Do not print the events on stderr.")
def simulate(port: int, host: str, inputs: tuple[str, ...], protocol: str, encoding: str,
             transport: str, quiet: bool) -> None:
    """Run an emulated video system until Ctrl+C; each event that arrives goes to stderr.
    SIGUSR1 hangs up every connection (the feed must reconnect and replay)."""
    from kassa.simulate import serve

    from kassa_video.sim import Record, VideoSimulator

    def show(name: str, rec: Record) -> None:
        if not quiet:
            click.echo(f"{name} {rec.at:%H:%M:%S.%f} {rec.terminal} {rec.kind} "
                       f"{rec.receipt} {_detail(rec.fields)}", err=True)

    triples = [(i.partition("@")[0], i.partition("@")[2], protocol)
               for i in dict.fromkeys(inputs)]
    serve(lambda: VideoSimulator(triples, host=host, port=port, encoding=encoding,
                                 transport=transport, on_record=show),
          what="the video system emulator", host=host, port=port, render=render,
          during=_hang_up_on_usr1,
          summary=lambda sim: "# stopped; " + ", ".join(
              f"{name}: {s['events']} events, {s['flags']} flagged, {s['duplicates']}"
              f" doubled, {s['connections']} connections" for name, s in sim.summary().items()))


def _detail(fields: Mapping[str, str]) -> str:
    keep = ("text", "price", "item_name", "item_amount", "payment_amount", "receipt_amount",
            "detail")
    return " ".join(fields[k] for k in keep if fields.get(k))


async def _hang_up_on_usr1(sim: Any) -> None:
    import signal

    import anyio

    with anyio.open_signal_receiver(signal.SIGUSR1) as signals:
        async for _ in signals:
            for r in sim.receivers.values():
                await r.hang_up()
            click.echo("# SIGUSR1: every connection hung up", err=True)


def render(fragment: Mapping[str, Any], sim: Any) -> str:
    """The ``[[video.feeds]]`` tables to paste into kassa.toml, then how to use them."""
    from kassa.simulate import toml_pairs

    lines = ["# Video system emulator; paste this into kassa.toml:"]
    for feed in fragment["video"]["feeds"]:
        lines += ["", "[[video.feeds]]", *toml_pairs(feed)]
    lines += ["", "# Every event that arrives is printed on stderr; `kill -USR1 <pid>` hangs"
              " up the feeds. Ctrl+C stops it."]
    return "\n".join(lines)
