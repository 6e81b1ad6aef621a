"""Serve a ``Simulator`` from the shell (``kassa <plugin> simulate``): start it on a fixed port,
print the kassa.toml block that points a hub at it, run until Ctrl+C or SIGTERM, stop cleanly.

Every plugin's ``simulate`` command is this function plus its own options and text::

    @group.command("simulate")
    @click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT)
    def simulate(port: int) -> None:
        serve(lambda: MySimulator(port=port), what="the Mine simulator", port=port,
              render=lambda fragment, sim: toml_block(fragment))

(``MySimulator`` is the plugin's own, imported inside the command so ``--help`` stays fast.)
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import click

S = TypeVar("S")


def toml_pairs(table: Mapping[str, Any]) -> list[str]:
    """``key = value`` lines; JSON strings, numbers, booleans and arrays of them are valid
    TOML values."""
    return [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in table.items()
            if not isinstance(value, Mapping)]


def toml_block(fragment: Mapping[str, Any]) -> str:
    """A config fragment as TOML: top-level tables (``[telegram]``), arrays of tables
    (``[[chats]]``, ``[[sites]]`` with their sub-tables ``[sites.rkeeper]``)."""
    lines: list[str] = []
    for key, value in fragment.items():
        if isinstance(value, Mapping):
            lines += ["", f"[{key}]", *toml_pairs(value)]
            lines += _subtables(key, value)
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for item in value:
                lines += ["", f"[[{key}]]", *toml_pairs(item), *_subtables(key, item)]
        else:
            lines.insert(0, f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines).strip("\n")


def _subtables(prefix: str, table: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            out += ["", f"[{prefix}.{key}]", *toml_pairs(value),
                    *_subtables(f"{prefix}.{key}", value)]
    return out


def serve(make: Callable[[], S], *, what: str, port: int, host: str = "127.0.0.1",
          render: Callable[[Mapping[str, Any], S], str] | None = None,
          summary: Callable[[S], str | None] | None = None,
          seconds: float = 0.0,
          during: Callable[[S], Coroutine[Any, Any, None]] | None = None) -> None:
    """Run the simulator ``make()`` builds until a signal (or ``seconds``, if set).

    ``render(fragment, sim)`` is printed to stdout once it serves (default: the fragment as
    TOML); ``summary(sim)``, if given, to stderr after it stopped; ``during(sim)`` runs
    alongside (progress notes). A port already taken ends the process at once with one
    sentence ("Error: ...", as click prints) naming the holder and exit code 1; Ctrl+C or
    SIGTERM stops it with 0."""
    import anyio

    from kassa.ports import bind_error

    async def main() -> int:
        sim: Any = make()
        try:
            fragment = await sim.start()
        except OSError as exc:
            with anyio.CancelScope(shield=True):
                try:
                    await sim.stop()
                except Exception:  # the start's failure is the one to tell
                    pass  # e.g. a stop that re-raises what its failed start raised
            click.echo(f"Error: {bind_error(what, host, port, exc)}", err=True)
            return 1
        try:
            # watch the signals before saying "running": a quick Ctrl+C still stops cleanly
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                click.echo(render(fragment, sim) if render else toml_block(fragment))
                async with anyio.create_task_group() as tg:
                    async def stop_on_signal() -> None:
                        async for _ in signals:
                            tg.cancel_scope.cancel()
                            return

                    tg.start_soon(stop_on_signal)
                    if during is not None:
                        tg.start_soon(during, sim)
                    if seconds:
                        await anyio.sleep(seconds)
                        tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await sim.stop()
        note = summary(sim) if summary else None
        if note:
            click.echo(note, err=True)
        return 0

    # SIGTERM as Ctrl+C until the loop's receiver takes over (a signal during start-up)
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        rc = anyio.run(main)
    except KeyboardInterrupt:  # before the signal receiver was installed: nothing to clean
        rc = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    if rc:
        sys.exit(rc)
