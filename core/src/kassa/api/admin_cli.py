"""What every CLI command talking to the RUNNING hub's admin API shares (``kassa fiscal``,
``kassa devices``, plugins' commands): the hub options and one call with its two failures as
one sentence each: a refusal (exit 1) and an unreachable hub or a broken kassa.toml (exit 2).
Only click is imported here: ``kassa --help`` stays fast."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

T = TypeVar("T")

_hub_opts = [
    click.option("--json", "as_json", is_flag=True, help="Print the hub's JSON answer."),
    click.option("--locale", default="ru", show_default=True, type=click.Choice(["ru", "en"])),
    click.option("--url", default=None, help="Hub address (default: from kassa.toml [api])."),
    click.option("--token", default=None, envvar="KASSA_API_TOKEN",
                 help="Admin token (default: $KASSA_API_TOKEN, kassa.toml or the data folder)."),
    click.option("--config", "-c", "config", default=None, help="Path to kassa.toml."),
]


def hub_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--json --locale --url --token --config`` on a command (its ``opts``)."""
    for opt in reversed(_hub_opts):
        fn = opt(fn)
    return fn


def run_admin(opts: dict[str, Any], work: Callable[[Any], Awaitable[T]], *, timeout: float,
              unreachable: Callable[[str, Exception], str]) -> T:
    """Run ``await work(AdminClient)`` against the hub ``opts`` name and return its result.
    A refusal prints the hub's sentence (exit 1); an unreachable hub prints
    ``unreachable(url, error)`` (exit 2), a broken kassa.toml its ``ConfigError`` (exit 2)."""
    import anyio

    from kassa.api.address import hub_address
    from kassa.api.client import AdminClient, ApiError, HubUnavailable
    from kassa.errors import UserError

    try:
        url, token = hub_address(opts["url"], opts["token"], opts["config"])
    except UserError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)

    async def go() -> T:
        api = AdminClient(url, token, timeout=timeout)
        try:
            return await work(api)
        finally:
            await api.aclose()

    try:
        return anyio.run(go)
    except ApiError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except HubUnavailable as exc:
        click.echo(unreachable(url, exc), err=True)
        sys.exit(2)
