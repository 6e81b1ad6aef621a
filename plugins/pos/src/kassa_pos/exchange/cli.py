"""``kassa pos exchange import|export``: the accounting exchange from the command line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click


def _format(name: str) -> Any:
    from kassa.plugins import get_plugins

    from kassa_pos.exchange.service import pick

    return pick(get_plugins().exchange_formats(), name)


def command() -> click.Group:
    @click.group("exchange")
    def exchange() -> None:
        """Catalog from, sales to an accounting system (CommerceML 2 for 1C)."""

    @exchange.command("import")
    @click.argument("targets", nargs=-1, required=True,
                    type=click.Path(exists=True, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="list what would change; write nothing")
    @click.option("--format", "fmt_name", default="commerceml", show_default=True)
    @click.option("--limit", default=10, show_default=True, help="codes shown per kind")
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")
    def import_cmd(targets: tuple[Path, ...], dry_run: bool, fmt_name: str, limit: int,
                   locale: str, config: str | None) -> None:
        """Import DIR_OR_FILES (a directory: its *.xml); the same package twice changes
        nothing. Rejected elements are listed with file, line and reason."""
        import anyio
        from kassa.cli import load_settings
        from kassa.errors import UserError

        from kassa_pos.cli import CliHub
        from kassa_pos.exchange.service import files_in, import_package

        async def go() -> Any:
            hub = CliHub(load_settings(config))
            try:
                await hub.store.prepare()
                return await import_package(hub, files_in(targets), dry_run=dry_run,
                                            fmt=_format(fmt_name))
            finally:
                await hub.store.close()

        try:
            rep = anyio.run(go)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        if dry_run:
            click.echo("пробный прогон, ничего не записано" if locale == "ru"
                       else "dry run, nothing written")
        for line in rep.lines(limit=limit, locale=locale):
            click.echo(line)
        click.echo(("версия каталога: " if locale == "ru" else "catalog version: ")
                   + str(rep.version))

    @exchange.command("export")
    @click.option("--from", "since", required=True, type=click.DateTime(["%Y-%m-%d"]))
    @click.option("--to", "until", required=True, type=click.DateTime(["%Y-%m-%d"]),
                  help="the last day, included")
    @click.option("-o", "--output", required=True,
                  type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--format", "fmt_name", default="commerceml", show_default=True)
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")
    def export_cmd(since: datetime, until: datetime, output: Path, fmt_name: str,
                   config: str | None) -> None:
        """Write the sales and returns of the days FROM..TO (this machine's time zone)."""
        import anyio
        from kassa.cli import load_settings
        from kassa.errors import UserError

        from kassa_pos.cli import CliHub
        from kassa_pos.exchange.documents import sales_between

        start = since.astimezone()  # a naive date: the local midnight
        end = (until + timedelta(days=1)).astimezone()

        async def go() -> Any:
            hub = CliHub(load_settings(config))
            try:
                await hub.store.prepare()
                return await sales_between(hub, start, end)
            finally:
                await hub.store.close()

        try:
            fmt = _format(fmt_name)
            docs = anyio.run(go)
            fmt.write_sales(docs, output)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{output}: {exc.strerror}") from None
        click.echo(f"{output}: {len(docs)}")

    return exchange
