"""``kassa ofd ...``: the OFD from the shell - ``check "<qr>"``, ``receipt --fn --fd``,
``reconcile --since`` (offline: it reads the hub's journal and prints; the running hub's job
raises the alerts) and ``simulate --port 8090`` (the emulator)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click

DEFAULT_PORT = 8090
T = TypeVar("T")


class _OfflineHub:
    """What the service needs of a hub for an offline command: settings, clock, journal."""

    def __init__(self, settings: Any) -> None:
        from kassa.journal import Journal
        from kassa.plugins import get_plugins
        from kassa.store import Store

        self.settings = settings
        self.store = Store(settings.store_url, migrations=get_plugins().migrations())
        self.journal = Journal(self.store, now=self.now)
        self.clock = self
        self._state: dict[str, dict[str, Any]] = {}

    def now(self) -> datetime:
        return datetime.now(UTC)

    def section(self, name: str, cls: type | None = None) -> Any:
        value = self.settings.plugins.get(name)
        return cls() if value is None and cls is not None else value

    def state(self, owner: str) -> dict[str, Any]:
        return self._state.setdefault(owner, {})


def _run(config: str | None, work: Callable[[Any], Awaitable[T]], *, store: bool = False) -> T:
    import anyio
    from kassa.cli import load_settings
    from kassa.errors import KassaError

    from kassa_ofd.service import service_for

    async def go() -> T:
        hub = _OfflineHub(load_settings(config))
        svc = service_for(hub)
        try:
            if store:
                await hub.store.prepare()
            return await work(svc)
        finally:
            await svc.aclose()
            await hub.store.close()

    try:
        return anyio.run(go)
    except KassaError as exc:
        raise click.ClickException(str(exc)) from None


config_opt = click.option("--config", "-c", "config", default=None,
                          help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")


@click.group("ofd")
def ofd() -> None:
    """The fiscal data operator (OFD.ru): QR check, receipts, reconciliation, emulator."""


@ofd.command("check")
@click.argument("qr")
@config_opt
def check(qr: str, config: str | None) -> None:
    """Check a receipt's QR string (t=&s=&fn=&i=&fp=&n=) with the FNS and the OFD."""
    from kassa_ofd.check import check_qr

    async def work(svc: Any) -> Any:
        return await check_qr(svc.client, qr, svc.tz, locale=svc.cfg.locale)

    result = _run(config, work)
    click.echo(f"{result.outcome}: {result.message}")
    if str(result.outcome) != "found":
        raise SystemExit(1)


@ofd.command("receipt")
@click.option("--fn", required=True, help="FN number (1041)")
@click.option("--fd", required=True, type=int, help="FD number (1040)")
@click.option("--date", "day", default=None, help="the receipt's date, YYYY-MM-DD (faster)")
@click.option("--json", "as_json", is_flag=True, help="the OFD's document as JSON")
@config_opt
def receipt(fn: str, fd: int, day: str | None, as_json: bool, config: str | None) -> None:
    """Show a receipt as the OFD shows it."""
    from kassa_ofd.render import render

    async def work(svc: Any) -> Any:
        near = (datetime.fromisoformat(day).replace(hour=12, tzinfo=svc.tz)
                if day else None)
        return await svc.receipt(fn, fd, near=near)

    found = _run(config, work)
    if found is None:
        raise click.ClickException(f"the OFD has no document FN {fn} No. {fd}")
    item, document = found
    click.echo(json.dumps(document, ensure_ascii=False, indent=2) if as_json
               else render(item, document))


@ofd.command("reconcile")
@click.option("--since", default="1d", show_default=True,
              help="how far back: 6h, 3d, or an ISO date/time")
@config_opt
def reconcile(since: str, config: str | None) -> None:
    """List the journal's receipts that have not reached the OFD."""
    start = _since(since)

    async def work(svc: Any) -> Any:
        return await svc.reconcile(start, alert=False)

    r = _run(config, work, store=True)
    click.echo(f"{r.checked} receipt(s) since {start:%Y-%m-%d %H:%M} UTC: {r.at_ofd} at the "
               f"OFD, {len(r.missing)} missing, {len(r.waiting)} not yet due")
    for m in r.missing:
        d = m.doc
        click.echo(f"MISSING fn={d.fn} fd={d.number} fp={d.fiscal_sign} "
                   f"at={d.issued_at:%Y-%m-%d %H:%M} site={m.site} key={m.key}")
    if r.missing:
        raise SystemExit(1)


def _since(text: str) -> datetime:
    units = {"h": "hours", "d": "days", "m": "minutes"}
    if text[:-1].isdigit() and text[-1] in units:
        return datetime.now(UTC) - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("6h, 3d or an ISO date", param_hint="--since") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@ofd.command("simulate")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--delay", type=float, default=0.0, show_default=True,
              help="seconds from intake until the OFD lists a document")
@click.option("--delivers-email/--no-delivers-email", default=False)
@click.option("--delivers-sms/--no-delivers-sms", default=False)
@click.option("--seconds", type=float, default=0.0, hidden=True)  # tests: stop by itself
def simulate(port: int, host: str, delay: float, delivers_email: bool, delivers_sms: bool,
             seconds: float) -> None:
    """Run the OFD.ru emulator until Ctrl+C."""
    from kassa.simulate import serve, toml_block

    from kassa_ofd.sim import OfdSimulator

    def render_fragment(fragment: Any, sim: Any) -> str:
        return "\n".join([
            f"# OFD.ru emulator at {sim.base_url}; paste this into kassa.toml:", "",
            toml_block(fragment), "",
            f"# transmit: curl -s -X POST {sim.base_url}/_sim/documents -d @ticket.json",
            f"# or let an emulated register's FN do it: kassa atol simulate --ofd-url "
            f"{sim.base_url}",
            f"# buyer copies: curl -s {sim.base_url}/_sim/outbox",
            f"# faults: curl -s -X POST {sim.base_url}/_sim/faults -d '{{\"outage\": true}}'",
            "# Running; Ctrl+C stops the emulator."])

    serve(lambda: OfdSimulator(host=host, port=port, delay=delay,
                               delivers_email=delivers_email, delivers_sms=delivers_sms),
          what="the OFD emulator", host=host, port=port, render=render_fragment,
          seconds=seconds, summary=lambda sim: f"# stopped; {len(sim.docs)} document(s) kept")
