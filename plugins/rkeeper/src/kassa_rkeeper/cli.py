"""``kassa rkeeper ...`` commands. Heavy imports stay inside the commands."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import click


@click.group("rkeeper")
def rkeeper() -> None:
    """r_keeper 7 cash servers: simulator and tools."""


def _hhmm(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        t = datetime.strptime(value, "%H:%M")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time of day like 08:30") from None
    return t.hour, t.minute


def _in(now: datetime, hour: int, speed: float) -> tuple[datetime, float]:
    """The next ``hour``:00 of simulated time after ``now`` and the real seconds until it."""
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= now:
        at += timedelta(days=1)
    return at, (at - now).total_seconds() / speed


def _real(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} real seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} real minutes"
    return f"{seconds / 3600:.1f} real hours"


def plan(now: datetime, speed: float, staffed: bool) -> str:
    """What the simulator will do and when (simulated time, real time at ``speed``)."""
    from kassa_rkeeper.sim_life import CLOSES, OPENS, is_open

    if not staffed:
        return ("# no staff (--rate 0): the cash server only answers; nothing happens by itself")
    _, opens_in = _in(now, OPENS, speed)
    closes, closes_in = _in(now, CLOSES, speed)
    head = f"# simulated time is {now:%Y-%m-%d %H:%M} and runs at --speed {speed:g}x; "
    if is_open(now):
        return (head + f"the restaurant is open: checks follow at once; it closes at "
                f"{CLOSES:02d}:00 (in {_real(closes_in)}), then the last tables pay and the "
                f"common shift closes")
    return (head + f"the restaurant opens at {OPENS:02d}:00 simulated time, in "
            f"{_real(opens_in)}; the first checks follow; it closes at {CLOSES:02d}:00 "
            f"({closes:%Y-%m-%d}), then the shift closes")


def idle_note(now: datetime, speed: float) -> str | None:
    """One line while nothing happens (the restaurant is closed), else None."""
    from kassa_rkeeper.sim_life import OPENS, is_open

    if is_open(now):
        return None
    _, opens_in = _in(now, OPENS, speed)
    return (f"# idle: the restaurant is closed (simulated {now:%H:%M}); it opens at "
            f"{OPENS:02d}:00, in {_real(opens_in)}")


@rkeeper.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="The XML interface's port (0 = a free one; fix it to keep kassa.toml).")
@click.option("--listen-port", type=click.IntRange(0, 65535), default=None,
              help="The hub's push listener the simulator pushes to "
                   "[default: --port + 1 with --port, else a free one].")
@click.option("--rate", type=float, default=1.0, show_default=True,
              help="Staff actions per second.")
@click.option("--speed", type=float, default=60.0, show_default=True,
              help="How many simulated seconds pass per real second.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--start", "start_at", default=None,
              help="Simulated time of day to start at, HH:MM (default: now in the site's zone).")
@click.option("--code", default="r1", show_default=True, help="Site code in kassa.toml.")
@click.option("--notify-url", default=None,
              help="Where to push HTTP Order Notify (default: the listen port, printed).")
@click.option("--secret", default=None,
              help="The station script's shared secret (default: derived from code, seed "
                   "and port, so the printed block stays the same across restarts).")
@click.option("--seconds", type=float, default=0.0,
              help="Stop after this long (0 = run until Ctrl-C).")
@click.option("--idle-every", type=click.FloatRange(min=1.0), default=60.0, hidden=True,
              help="Seconds between 'idle' notes while the restaurant is closed.")
@click.option("--farcards-url", default=None, envvar="KASSA_FARCARDS_URL",
              help="A loyalty server's FarCards-HTTP base URL: guests apply cards at the till.")
@click.option("--cards", default="", help="Comma-separated cards the guests carry.")
def simulate(port: int, listen_port: int | None, rate: float, speed: float, seed: int,
             start_at: str | None, code: str, notify_url: str | None, secret: str | None,
             seconds: float, idle_every: float, farcards_url: str | None, cards: str) -> None:
    """Run a simulated r_keeper cash server with staff working a business day."""
    from zoneinfo import ZoneInfo

    import anyio
    from kassa.simulate import serve

    from kassa_rkeeper.sim import RKeeperSim

    if speed <= 0:
        raise click.BadParameter("--speed must be above 0", param_hint="--speed")
    start = None
    hm = _hhmm(start_at)
    if hm is not None:
        start = datetime.now(ZoneInfo("Europe/Moscow")).replace(
            hour=hm[0], minute=hm[1], second=0, microsecond=0, tzinfo=None)
    if listen_port is None:
        listen_port = port + 1 if port and port < 65535 else 0
    if secret is None:  # a test secret, stable for the same site/seed/port
        secret = hashlib.sha256(f"kassa-sim:{code}:{seed}:{port}".encode()).hexdigest()[:22]
    extra: dict[str, Any] = (
        {"cards": [c.strip() for c in cards.split(",") if c.strip()]} if cards else {})

    def make() -> RKeeperSim:
        return RKeeperSim(code, seed=seed, speed=speed, rate=rate, notify_url=notify_url,
                          farcards_url=farcards_url, start=start, port=port,
                          listen_port=listen_port, station_secret=secret, **extra)

    async def notes(sim: RKeeperSim) -> None:
        click.echo(f"# pushing to {sim.notify_url}", err=True)
        click.echo(plan(sim.clock(), speed, sim.staff is not None), err=True)
        while sim.staff is not None:
            await anyio.sleep(idle_every)
            note = idle_note(sim.clock(), speed)
            if note and all(o.finished for o in sim.rest.orders):
                click.echo(note, err=True)

    def summary(sim: RKeeperSim) -> str:
        lines = [f"# staff actions: {sim.staff.actions if sim.staff else 0}"]
        if sim.till:
            lines.append(f"# loyalty: {sim.till.summary()}")
        return "\n".join(lines)

    serve(make, what="the r_keeper simulator", port=port, render=render_site,
          summary=summary, seconds=seconds, during=notes)


def render_site(fragment: Any, sim: Any) -> str:
    """The ``[[sites]]`` block with its ``[sites.rkeeper]`` table, pasteable into kassa.toml."""
    site = fragment["sites"][0]
    lines = ["[[sites]]", f'code = "{site["code"]}"', f'name = "{site["name"]}"',
             f'timezone = "{site["timezone"]}"', "", "[sites.rkeeper]"]
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}"  # JSON scalars are TOML
              for k, v in site["rkeeper"].items()]
    return "\n".join(lines)
