"""``kassa rkeeper ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

import click


@click.group("rkeeper")
def rkeeper() -> None:
    """r_keeper 7 cash servers: simulator and tools."""


@rkeeper.command("simulate")
@click.option("--rate", type=float, default=1.0, show_default=True,
              help="Staff actions per second.")
@click.option("--speed", type=float, default=60.0, show_default=True,
              help="How many simulated seconds pass per real second.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--code", default="r1", show_default=True, help="Site code in kassa.toml.")
@click.option("--notify-url", default=None,
              help="Where to push HTTP Order Notify (default: a free local port, printed).")
@click.option("--seconds", type=float, default=0.0, help="Stop after this long (0 = run until Ctrl-C).")
@click.option("--farcards-url", default=None, envvar="KASSA_FARCARDS_URL",
              help="A loyalty server's FarCards-HTTP base URL: guests apply cards at the till.")
@click.option("--cards", default="", help="Comma-separated cards the guests carry.")
def simulate(rate: float, speed: float, seed: int, code: str, notify_url: str | None,
             seconds: float, farcards_url: str | None, cards: str) -> None:
    """Run a simulated r_keeper cash server with staff working a business day."""
    import anyio

    from kassa_rkeeper.sim import RKeeperSim

    async def main() -> None:
        extra = {"cards": [c.strip() for c in cards.split(",") if c.strip()]} if cards else {}
        sim = RKeeperSim(code, seed=seed, speed=speed, rate=rate, notify_url=notify_url,
                         farcards_url=farcards_url, **extra)
        fragment = await sim.start()
        site = fragment["sites"][0]
        click.echo("[[sites]]")
        click.echo(f'code = "{site["code"]}"\nname = "{site["name"]}"\n'
                   f'timezone = "{site["timezone"]}"\n\n[sites.rkeeper]')
        for k, v in site["rkeeper"].items():
            click.echo(f"{k} = {v!r}".replace("'", '"'))
        click.echo(f"# pushing to {sim.notify_url}", err=True)
        try:
            if seconds:
                await anyio.sleep(seconds)
            else:
                await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await sim.stop()
            click.echo(f"# staff actions: {sim.staff.actions if sim.staff else 0}", err=True)
            if sim.till:
                click.echo(f"# loyalty: {sim.till.summary()}", err=True)

    try:
        anyio.run(main)
    except KeyboardInterrupt:
        pass
