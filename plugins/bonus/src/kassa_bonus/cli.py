"""``kassa bonus ...``: import a guest base, run the scheduled jobs, audit the ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click


class CliHub:
    """Just enough of a hub for offline commands: settings, the store (its engine and write
    transactions, as the hub has them, every plugin's migrations), a clock, a state slot."""

    def __init__(self, settings: Any) -> None:
        from kassa.plugins import get_plugins
        from kassa.store import Store

        self.settings = settings
        self.store = Store(settings.store_url, migrations=get_plugins().migrations())
        self.engine = self.store.engine
        self.transaction = self.store.write
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

    async def send(self, message: Any, *, key: str, conn: Any = None) -> bool:
        raise click.ClickException("messages cannot be sent from an offline command")


def _run(config: str | None, work: Any) -> Any:
    import anyio
    from kassa.cli import load_settings
    from kassa.errors import UserError

    from kassa_bonus.service import service_for

    async def go() -> Any:
        hub = CliHub(load_settings(config))
        try:
            await hub.store.prepare()  # as at a hub's start: PostgreSQL must be upgraded
            return await work(await service_for(hub))
        finally:
            await hub.store.close()

    try:
        return anyio.run(go)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


def group() -> click.Group:
    @click.group("bonus")
    def bonus() -> None:
        """The loyalty engine: guest import, scheduled jobs, ledger audit."""

    config_opt = click.option("--config", "-c", "config", default=None,
                              help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")

    @bonus.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--map", "mapping", required=True,
                  help="field=Column pairs: phone=Телефон,name=ФИО,card=Карта,balance=Баллы")
    @click.option("--dry-run", is_flag=True, help="report what would change; write nothing")
    @click.option("--json", "as_json", is_flag=True)
    @config_opt
    def import_cmd(file: Path, mapping: str, dry_run: bool, as_json: bool,
                   config: str | None) -> None:
        """Import guests from CSV or XLSX (re-running the same file changes nothing)."""
        from kassa_bonus.importer import import_guests, parse_mapping, read_rows
        from kassa_bonus.store import LedgerError

        try:
            cols, rows = parse_mapping(mapping), read_rows(file)
        except (LedgerError, ValueError, OSError) as exc:
            raise click.ClickException(f"{file}: {exc}") from None
        rep = _run(config, lambda svc: import_guests(svc, rows, cols, dry_run=dry_run))
        if as_json:
            click.echo(json.dumps({"dry_run": rep.dry_run, "created": rep.created,
                                   "updated": rep.updated, "unchanged": rep.unchanged,
                                   "rejected": rep.rejected, "changes": rep.changes},
                                  ensure_ascii=False, default=str))
            return
        head = "would create" if dry_run else "created"
        click.echo(f"{head} {rep.created}, updated {rep.updated}, unchanged {rep.unchanged}, "
                   f"rejected {len(rep.rejected)}")
        for n, reason in rep.rejected:
            click.echo(f"  row {n}: {reason}")

    @bonus.command("schedule")
    @config_opt
    def schedule(config: str | None) -> None:
        """Expire holds, lots and identifiers; award birthday bonuses (run it daily)."""
        done = _run(config, lambda svc: svc.run_schedule())
        click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))

    @bonus.command("audit")
    @config_opt
    def audit_cmd(config: str | None) -> None:
        """Recompute the ledger's invariants from its history."""
        from kassa_bonus.audit import audit

        async def work(svc: Any) -> list[str]:
            async with svc.store.read() as conn:
                return await audit(conn)

        problems = _run(config, work)
        for p in problems:
            click.echo(p)
        if problems:
            raise click.ClickException(f"{len(problems)} problems")
        click.echo("ledger is consistent")

    return bonus
