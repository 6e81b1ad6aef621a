"""``kassa pos ...``: the catalog's offline commands (import). Russian by default,
``--locale en`` for English."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from kassa.api.admin_cli import hub_options

_TEXTS = {
    "ru": {"head": "добавлено {added}, изменено {updated}, без изменений {unchanged},"
                   " прайс-листов изменено {lists}, отклонено {rejected}",
           "dry": "пробный прогон, ничего не записано: ",
           "row": "  строка {row} ({code}): {reason}",
           "version": "версия каталога: {version}"},
    "en": {"head": "added {added}, updated {updated}, unchanged {unchanged},"
                   " price lists changed {lists}, rejected {rejected}",
           "dry": "dry run, nothing written: ",
           "row": "  row {row} ({code}): {reason}",
           "version": "catalog version: {version}"},
}


_STOCK = {
    "ru": {"posted": "документ {id} проведён", "replay": "документ {id} уже был проведён: "
           "ничего не изменилось", "line": "  {code}: {qty}",
           "count_line": "  {code}: {qty} (по учёту {book})", "none": "остатков нет"},
    "en": {"posted": "document {id} posted", "replay": "document {id} was posted before: "
           "nothing changed", "line": "  {code}: {qty}",
           "count_line": "  {code}: {qty} (books said {book})", "none": "no stock"},
}


class CliHub:
    """Just enough of a hub for an offline command: settings, the store with every
    plugin's migrations, write transactions, a clock, state."""

    def __init__(self, settings: Any) -> None:
        from kassa.plugins import get_plugins
        from kassa.store import Store

        self.settings = settings
        self.store = Store(settings.store_url, migrations=get_plugins().migrations())
        self.engine = self.store.engine
        self.write_sync = self.store.write_sync
        self.clock = self
        self._state: dict[str, dict[str, Any]] = {}

    def now(self) -> datetime:
        return datetime.now(UTC)

    def section(self, name: str, cls: type | None = None) -> Any:
        value = self.settings.plugins.get(name)
        return cls() if value is None and cls is not None else value

    def state(self, owner: str) -> dict[str, Any]:
        return self._state.setdefault(owner, {})


def group() -> click.Group:
    @click.group("pos")
    def pos() -> None:
        """The shop's till: the cashier's screen, the catalog, labels, exchange."""

    @pos.group("catalog")
    def catalog() -> None:
        """Items, barcodes and price lists in the hub's store."""

    @catalog.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="check and report; write nothing")
    @click.option("--json", "as_json", is_flag=True, help="the report as JSON")
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")
    def import_cmd(file: Path, dry_run: bool, as_json: bool, locale: str,
                   config: str | None) -> None:
        """Import items (CSV or JSON) and price lists (JSON); importing again changes
        nothing. Rejected rows are listed with the reason; the rest go in."""
        import anyio
        from kassa.cli import load_settings
        from kassa.errors import UserError

        from kassa_pos.engine.catalog import CatalogError
        from kassa_pos.engine.catalog_import import import_data, read_file

        try:
            data = read_file(file)
        except CatalogError as exc:
            raise click.ClickException(exc.text(locale)) from None
        except OSError as exc:
            raise click.ClickException(f"{file}: {exc.strerror}") from None

        async def go() -> Any:
            hub = CliHub(load_settings(config))
            try:
                await hub.store.prepare()  # as at a hub's start: PostgreSQL must be upgraded
                return await import_data(hub, data, dry_run=dry_run)
            finally:
                await hub.store.close()

        try:
            rep = anyio.run(go)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        if as_json:
            click.echo(json.dumps({
                "dry_run": rep.dry_run, "added": rep.added, "updated": rep.updated,
                "unchanged": rep.unchanged, "lists_changed": rep.lists_changed,
                "version": rep.version,
                "rejected": [{"row": r.row, "code": r.code, "reason": r.error.text(locale)}
                             for r in rep.rejects]}, ensure_ascii=False))
            return
        t = _TEXTS[locale]
        click.echo((t["dry"] if dry_run else "") + t["head"].format(
            added=rep.added, updated=rep.updated, unchanged=rep.unchanged,
            lists=rep.lists_changed, rejected=len(rep.rejects)))
        for r in rep.rejects:
            click.echo(t["row"].format(row=r.row, code=r.code or "?",
                                       reason=r.error.text(locale)))
        click.echo(t["version"].format(version=rep.version))

    @pos.group("stock")
    def stock() -> None:
        """Stock documents and levels on the running store hub."""

    @stock.command("post")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--by", "by", default="", help="who posts it (the audit names them)")
    @hub_options
    def stock_post(file: Path, by: str, **opts: Any) -> None:
        """Post a document (JSON: id, kind, lines [{item, qty, cost}], counterpart, reason,
        ref); posting the same document again changes nothing."""
        from kassa.devices_cli import call

        from kassa_pos.stock.book import StockError, parse

        locale = opts["locale"]
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
            parse(raw)  # a bad document is said here, before the hub is asked
        except StockError as exc:
            raise click.ClickException(exc.text(locale)) from None
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"{file}: {exc}") from None
        raw["posted_by"] = by or raw.get("posted_by") or "kassa pos stock"
        done = call(opts, "POST", "/api/pos/stock/v1/documents", json=raw)
        if opts["as_json"]:
            click.echo(json.dumps(done, ensure_ascii=False))
            return
        t = _STOCK[locale]
        click.echo(t["replay" if done["replay"] else "posted"].format(id=done["id"]))
        for code, qty in done["moves"]:
            book = (done.get("book") or {}).get(code)
            click.echo(t["count_line" if book is not None else "line"].format(
                code=code, qty=qty, book=book))

    @stock.command("levels")
    @click.option("--item", "items", multiple=True, help="only this item code (repeatable)")
    @hub_options
    def stock_levels(items: tuple[str, ...], **opts: Any) -> None:
        """Each item's stock level now (documents minus sales net of returns)."""
        from kassa.devices_cli import call

        done = call(opts, "GET", "/api/pos/stock/v1/levels",
                    params=[("item", i) for i in items])
        if opts["as_json"]:
            click.echo(json.dumps(done, ensure_ascii=False))
            return
        if not done["levels"]:
            click.echo(_STOCK[opts["locale"]]["none"])
        for code, qty in done["levels"].items():
            click.echo(f"{code}\t{qty}")

    @pos.command("till")
    @click.option("--till", "name", default=None, help="the till's name in [[pos.tills]]")
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")
    @click.option("--demo", is_flag=True,
                  help="the demo's simulated shop, nothing to configure")
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]),
                  help="with --demo: the till's language (else [hub] locale)")
    def till_cmd(name: str | None, config: str | None, demo: bool, locale: str) -> None:
        """The cashier's till on this PC: the hub in this process and its till screen.
        Quitting (Ctrl+Q) stops the hub; nothing is lost."""
        import sys

        from kassa.errors import UserError

        from kassa_pos.till.run import run, run_demo

        try:
            if demo:
                sys.exit(run_demo(locale))
            run(config, name)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            pass

    from kassa_pos.labels.cli import command as labels_command

    pos.add_command(labels_command())  # price tags and barcode labels as PDF
    from kassa_pos.exchange.cli import command as exchange_command

    pos.add_command(exchange_command())  # CommerceML 2 (1C) and other accounting formats
    return pos
