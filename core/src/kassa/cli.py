"""The ``kassa`` command. Imports stay inside commands so ``kassa --help`` is fast."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from kassa.devices_cli import devices  # click only, as fiscal's
from kassa.fiscal_ops.cli import fiscal  # click only: --help stays fast


def _config_path(path: str | None) -> str:
    return path or os.environ.get("KASSA_CONFIG") or "kassa.toml"


def load_settings(path: str | None) -> Any:
    from kassa import extras
    from kassa.config import load
    from kassa.plugins import get_plugins

    plugins = get_plugins()
    settings = load(_config_path(path), sections=plugins.settings_sections(),
                    channels=plugins.channel_names())
    extras.check(settings)  # a missing extra the config needs: one sentence, before starting
    return settings


def fail(exc: BaseException) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def setup_logging(verbose: bool) -> None:
    import logging

    root = logging.getLogger()
    # basicConfig would do nothing if any handler is there already (the console's log buffer
    # sits on the root logger once the API is imported): add the terminal's own explicitly
    if not any(type(h) is logging.StreamHandler for h in root.handlers):
        terminal = logging.StreamHandler()
        terminal.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(terminal)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "uvicorn", "aiosqlite", "nats", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class KassaGroup(click.Group):
    """The core's commands, plus the plugins' (``register_cli_commands``): listed from an index
    without importing any plugin, each plugin imported when its command runs
    (``kassa.cli_plugins``)."""

    _plugin_index: dict[str, Any] | None = None

    def plugin_index(self) -> dict[str, Any]:
        if self._plugin_index is None:
            from kassa import cli_plugins

            self._plugin_index = cli_plugins.index()
        return self._plugin_index

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.plugin_index()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = self.commands.get(name)  # a core command: a plugin cannot replace it
        if cmd is None:
            from kassa import cli_plugins

            cmd = cli_plugins.load(name, self.plugin_index())
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a plugin command's help comes from the index (no import)."""
        from kassa import cli_plugins

        index = self.plugin_index()
        rows = [(name, self.commands.get(name) or cli_plugins.placeholder(index[name]))
                for name in self.list_commands(ctx)]
        rows = [(name, cmd) for name, cmd in rows if not cmd.hidden]
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


@click.group(cls=KassaGroup)
@click.version_option(package_name="kassa")
def cli() -> None:
    """Kassa: r_keeper, loyalty, fiscal and messenger integrations in one hub."""


config_opt = click.option("--config", "-c", "config", default=None,
                          help="Path to kassa.toml (default: $KASSA_CONFIG or ./kassa.toml).")


@cli.command()
@config_opt
@click.option("--console", is_flag=True, help="Open the operator console in this terminal.")
@click.option("-v", "--verbose", is_flag=True)
def run(config: str | None, console: bool, verbose: bool) -> None:
    """Run the hub until Ctrl+C / SIGTERM (nothing is lost on stop)."""
    from kassa.errors import UserError

    setup_logging(verbose)
    try:
        settings = load_settings(config)
    except UserError as exc:
        fail(exc)
    import anyio

    from kassa.runner import run_hub

    try:
        anyio.run(run_hub, settings, console)
    except UserError as exc:
        fail(exc)
    except KeyboardInterrupt:
        pass


@cli.group("config")
def config_group() -> None:
    """Check kassa.toml."""


@config_group.command("check")
@config_opt
def config_check(config: str | None) -> None:
    """Validate kassa.toml without starting anything."""
    from kassa.errors import UserError
    from kassa.kinds import check_settings, installed, warnings

    try:
        s = load_settings(config)
        kinds = installed()
        check_settings(s, kinds)  # kind names in [[chats]], once plugins declared theirs
    except UserError as exc:
        fail(exc)
    for warning in warnings(s, kinds):
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{_config_path(config)}: OK ({len(s.sites)} sites, {len(s.chats)} chats, "
               f"sections: {', '.join(sorted(s.plugins)) or 'none'})")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "include_builtin", is_flag=True, help="Include built-in plugins.")
def plugins(as_json: bool, include_builtin: bool) -> None:
    """Installed plugins: name, version, hooks implemented."""
    from kassa.plugins import get_plugins

    info = get_plugins().describe(include_builtin=include_builtin)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    for p in info:
        click.echo(f"{p['name']} {p['version'] or ''}: {', '.join(p['hooks'])}")


@cli.group("db")
def db_group() -> None:
    """The store."""


def _with_store(config: str | None, work: Any) -> Any:
    """Run ``work(store)`` on the configured store with every plugin's migrations."""
    import anyio

    from kassa.errors import UserError
    from kassa.plugins import get_plugins
    from kassa.store import Store

    async def go() -> Any:
        store = Store(load_settings(config).store_url, migrations=get_plugins().migrations())
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return anyio.run(go)
    except UserError as exc:
        fail(exc)


def _print_branches(branches: Any) -> None:
    for b in branches:
        if b.head is None:
            state = "from a plugin that is not installed (its tables are left alone)"
        else:
            state = "behind" if b.behind else "up to date"
        click.echo(f"{b.name:<12} {b.current or 'none':<16} head {b.head or '-':<16} {state}")


@db_group.command("upgrade")
@config_opt
def db_upgrade(config: str | None) -> None:
    """Apply the core's and every plugin's migrations (PostgreSQL needs this before the first
    run of a new version; SQLite does it at start)."""

    async def work(store: Any) -> Any:
        await store.upgrade()
        return await store.status()

    _print_branches(_with_store(config, work))
    click.echo("database is up to date")


@db_group.command("status")
@config_opt
def db_status(config: str | None) -> None:
    """Each migration branch (core, then plugins) with its current and head revision; exits
    with 1 when one is behind."""

    async def work(store: Any) -> Any:
        return store.sqlite, await store.status()

    sqlite, branches = _with_store(config, work)
    _print_branches(branches)
    behind = [b.name for b in branches if b.behind]
    if behind:
        when = "or start the hub (SQLite upgrades at start)" if sqlite else \
            "before starting the hub"
        click.echo(f"behind: {', '.join(behind)}; run `kassa db upgrade` {when}")
        sys.exit(1)


@cli.group("events")
def events_group() -> None:
    """The event log."""


@events_group.command("tail")
@config_opt
@click.option("-n", "count", default=20, show_default=True)
@click.option("--site", default=None)
@click.option("--json", "as_json", is_flag=True, help="JSON lines (replayable in the console).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events.")
def events_tail(config: str | None, count: int, site: str | None, as_json: bool,
                follow: bool) -> None:
    """Print the latest events."""
    import anyio

    from kassa import codec, eventlog
    from kassa.errors import UserError
    from kassa.i18n import kind_title
    from kassa.store import Store

    try:
        s = load_settings(config)
    except UserError as exc:
        fail(exc)

    def show(seq: int, e: Any) -> None:
        if as_json:
            click.echo(codec.dumps(e))
        else:
            click.echo(f"{seq:>7} {e.occurred_at:%Y-%m-%d %H:%M:%S} {e.site:<8} "
                       f"{e.severity:<7} {kind_title(e.kind, s.hub.locale)}"
                       + (f" · {e.employee}" if e.employee else ""))

    async def go() -> None:
        store = Store(s.store_url)
        try:
            rows = await eventlog.query(store, site=site, limit=count, newest_first=True)
            last = 0
            for seq, e in reversed(rows):
                show(seq, e)
                last = seq
            while follow:
                await anyio.sleep(1)
                newer = await eventlog.query(store, site=site, limit=1000, newest_first=True)
                for seq, e in reversed([r for r in newer if r[0] > last]):
                    show(seq, e)
                    last = seq
        finally:
            await store.close()

    try:
        anyio.run(go)
    except KeyboardInterrupt:
        pass


@cli.group("chats")
def chats_group() -> None:
    """Chats the hub talks to."""


@chats_group.command("link")
@config_opt
@click.argument("site", required=False)
@click.option("--owners", is_flag=True, help="A link for the owners' chat (every site).")
@click.option("--hours", default=24, show_default=True, help="How long the link works.")
def chats_link(config: str | None, site: str | None, owners: bool, hours: int) -> None:
    """A one-time link that binds a chat to SITE (or to the owners) — no ids typed by hand."""
    import anyio

    from kassa.errors import UserError
    from kassa.runner import create_link

    if not site and not owners:
        fail(UserError("name a SITE code, or pass --owners"))
    try:
        s = load_settings(config)
        token, links = anyio.run(create_link, s, site, owners, hours)
    except UserError as exc:
        fail(exc)
    click.echo(f"Send this in the chat (as an admin), within {hours} h:\n  /start {token}")
    for channel, link in links:
        click.echo(f"{channel}: {link}")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--headless", is_flag=True, help="No console: run, then print a summary.")
@click.option("--seconds", default=20.0, show_default=True,
              help="How long a headless demo runs (simulated day is accelerated).")
@click.option("--sites", default=3, show_default=True, help="How many restaurants.")
@click.option("--speed", default=None, type=float,
              help="Simulated seconds per second (default 600; headless: the day ends in time).")
@click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
@click.option("-v", "--verbose", is_flag=True)
@click.pass_context
def demo(ctx: click.Context, headless: bool, seconds: float, sites: int, speed: float | None,
         locale: str, verbose: bool) -> None:
    """A simulated restaurant chain through the real hub, with the console attached.
    A plugin's named demo: kassa demo --<name> [its options] (kassa demo --chain)."""
    import anyio

    from kassa.demo import DemoOptions, run_demo

    if ctx.args:
        named_demo(ctx, list(ctx.args))

    if headless or verbose:
        setup_logging(verbose)
    opts = DemoOptions(headless=headless, seconds=seconds, sites=sites, speed=speed,
                       locale=locale)
    code = anyio.run(run_demo, opts)
    sys.exit(code)


def named_demo(ctx: click.Context, args: list[str]) -> None:
    """``kassa demo --<name> ...``: the plugin demo of that name, given the rest of the
    arguments and the common options the user typed."""
    from click.core import ParameterSource

    from kassa.plugins import get_plugins

    flag, rest = args[0], args[1:]
    demos = {d.name: d for d in get_plugins().demos()}
    name = flag[2:] if flag.startswith("--") else ""
    if name not in demos:
        known = ", ".join(f"--{n}" for n in sorted(demos)) or "none is installed"
        fail(click.UsageError(f"{flag!r} is not a demo (named demos: {known})"))
    passed: list[str] = []
    for opt, value in (("headless", "--headless"), ("seconds", "--seconds"),
                       ("locale", "--locale"), ("verbose", "--verbose")):
        if ctx.get_parameter_source(opt) is not ParameterSource.COMMANDLINE:
            continue
        passed += [value] if isinstance(ctx.params[opt], bool) else [value, str(ctx.params[opt])]
    demos[name].command().main(args=[*rest, *passed], prog_name=f"kassa demo {flag}")


cli.add_command(fiscal)
cli.add_command(devices)


def main() -> None:
    cli(prog_name="kassa")


if __name__ == "__main__":
    main()
