"""``kassa fiscal ...``: the register actions through the RUNNING hub's admin API (so through
``hub.fiscal`` and its journal). Only click is imported here: ``kassa --help`` stays fast."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from kassa.api.admin_cli import hub_options, run_admin

_where = [
    click.option("--site", "-s", default=None, help="Site code (kassa.toml [[sites]])."),
    click.option("--register", "-r", default=None, help="Register name (when a site has several)."),
]


def where(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(_where):
        fn = opt(fn)
    return hub_options(fn)


def _call(opts: dict[str, Any], work: Callable[[Any], Any]) -> Any:
    """Run ``work(FiscalClient)`` (``kassa.api.admin_cli.run_admin``: exit 1 or 2 on failure)."""
    from kassa.fiscal_ops.client import FiscalClient
    from kassa.fiscal_ops.texts import say

    locale = opts["locale"]
    return run_admin(  # a Z report prints for a while
        opts, lambda api: work(FiscalClient(api, locale)), timeout=120.0,
        unreachable=lambda url, exc: say("err.hub", locale, error=str(exc).rstrip(".")))


def _show(opts: dict[str, Any], data: Any, lines: list[str]) -> None:
    if opts["as_json"]:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(lines))


@click.group("fiscal")
def fiscal() -> None:
    """Fiscal registers: status, shifts, X/Z reports, cash in/out, corrections."""


@fiscal.command("status")
@where
def status(**opts: Any) -> None:
    """Each register: shift and its age, FN, OFD backlog, paper, last document."""
    from kassa.fiscal_ops.render import status_lines

    data = _call(opts, lambda c: c.status(site=opts["site"], register=opts["register"]))
    lines: list[str] = []
    for item in data:
        lines += [*status_lines(item, opts["locale"]), ""]
    _show(opts, data, lines[:-1])


def _action(action: str, help_text: str, *, amount: bool = False) -> None:
    key_opt = click.option("--key", default=None,
                           help="Idempotency key (default: a new one); repeat a command with "
                                "its key and it is never done twice.")
    cashier_opt = click.option("--cashier", default=None, help="Cashier's name (1021).")

    def command(**opts: Any) -> None:
        from kassa.fiscal_ops.client import new_key
        from kassa.fiscal_ops.render import document_line
        from kassa.fiscal_ops.texts import say

        fields: dict[str, Any] = {"cashier": opts.get("cashier")}
        if amount:
            fields["amount"] = _kopecks(opts["amount"], opts["locale"])
        for name in ("operation", "type", "payment", "taxation", "basis_date",
                     "basis_number"):
            if opts.get(name) is not None:
                fields[name] = opts[name]
        key = opts.get("key") or new_key()
        data = _call(opts, lambda c: c.act(action, key=key, site=opts["site"],
                                           register=opts["register"], **fields))
        lines = [document_line(action, data["document"], data["register"], opts["locale"])]
        if data.get("replayed"):
            lines.append(say("doc.replayed", opts["locale"]))
        _show(opts, data, lines)

    command.__doc__ = help_text
    cmd = where(cashier_opt(key_opt(command)))
    if amount:
        cmd = click.argument("amount")(cmd)
    if action == "correction":
        for opt in reversed([
            click.option("--operation", default="sell", show_default=True,
                         type=click.Choice(["sell", "sell_refund", "buy", "buy_refund"])),
            click.option("--type", default="self", show_default=True,
                         type=click.Choice(["self", "instruction"]),
                         help="1173: on our own, or by the tax office's order."),
            click.option("--payment", default="cash", show_default=True,
                         type=click.Choice(["cash", "electronic", "prepaid", "credit",
                                            "counter_provision"])),
            click.option("--taxation", default="osn", show_default=True,
                         type=click.Choice(["osn", "usn_income", "usn_income_outcome",
                                            "eshn", "patent"])),
            click.option("--basis-date", default=None, help="1178: YYYY-MM-DD (default: today)."),
            click.option("--basis-number", default=None, help="1179: the order's number."),
        ]):
            cmd = opt(cmd)
    fiscal.command(action)(cmd)


def _kopecks(text: str, locale: str) -> int:
    from decimal import InvalidOperation

    from kassa.fiscal_ops.texts import say
    from kassa.model.money import kopecks

    try:
        value = kopecks(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        value = 0
    if value <= 0:
        raise click.BadParameter(say("err.amount", locale), param_hint="AMOUNT")
    return value


_action("open-shift", "Open the register shift.")
_action("close-shift", "Close the register shift: the Z report.")
_action("x-report", "Print the X report (counters; nothing is closed).")
_action("cash-in", "Put AMOUNT rubles into the drawer (внесение).", amount=True)
_action("cash-out", "Take AMOUNT rubles out of the drawer (выплата).", amount=True)
_action("correction", "A correction receipt of AMOUNT rubles (form 31).", amount=True)


@fiscal.command("last")
@where
@click.option("--qr", is_flag=True, help="The last receipt, with its QR code drawn here.")
def last(qr: bool, **opts: Any) -> None:
    """The register's last document (its printed copy and QR text, when there are)."""
    from kassa.fiscal_ops.render import document_lines

    data = _call(opts, lambda c: c.last(site=opts["site"], register=opts["register"], qr=qr))
    lines = document_lines(data["register"], data["document"], opts["locale"])
    if qr and not opts["as_json"] and data["document"].get("qr"):
        lines.append(qr_art(data["document"]["qr"], opts["locale"]))
    _show(opts, data, lines)


def qr_art(text: str, locale: str = "ru") -> str:
    from kassa.errors import UserError
    from kassa.fiscal_ops.render import qr_art as draw

    try:
        return draw(text, locale)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
