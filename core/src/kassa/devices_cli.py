"""``kassa devices list|status|test``: the hub's devices through the RUNNING hub's admin API
(``/api/devices``), so a test page goes through ``hub.devices`` and its journal. Only click
is imported here: ``kassa --help`` stays fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

TEXTS = {
    "ru": {"none": "Хаб не запускает ни одного устройства.",
           "hub": "Хаб по адресу {url} недоступен: он не запущен или адрес другой.",
           "printed": "Тестовая страница напечатана на «{name}» (ключ {key}).",
           "available": "доступно", "unavailable": "недоступно", "since": "с",
           "attempts": "попыток запуска", "health": {"ok": "в порядке",
                                                     "degraded": "с предупреждением",
                                                     "down": "не отвечает",
                                                     "unavailable": "не запущено",
                                                     "unknown": "неизвестно"}},
    "en": {"none": "The hub runs no devices.",
           "hub": "The hub at {url} is unreachable: it is not running or the address differs.",
           "printed": "Test page printed on '{name}' (key {key}).",
           "available": "available", "unavailable": "unavailable", "since": "since",
           "attempts": "start attempts", "health": {"ok": "ok", "degraded": "degraded",
                                                    "down": "down",
                                                    "unavailable": "not started",
                                                    "unknown": "unknown"}},
}

_opts = [
    click.option("--json", "as_json", is_flag=True, help="Print the hub's JSON answer."),
    click.option("--locale", default="ru", show_default=True, type=click.Choice(["ru", "en"])),
    click.option("--url", default=None, help="Hub address (default: from kassa.toml [api])."),
    click.option("--token", default=None, envvar="KASSA_API_TOKEN",
                 help="Admin token (default: $KASSA_API_TOKEN, kassa.toml or the data folder)."),
    click.option("--config", "-c", "config", default=None, help="Path to kassa.toml."),
]


def hub_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(_opts):
        fn = opt(fn)
    return fn


def text(which: str, locale: str, **kw: Any) -> Any:
    value = TEXTS.get(locale, TEXTS["ru"])[which]
    return value.format(**kw) if isinstance(value, str) else value


def call(opts: dict[str, Any], method: str, path: str, **kw: Any) -> Any:
    """One admin API request; a refusal (exit 1) or an unreachable hub (exit 2) is one
    sentence on stderr."""
    import anyio

    from kassa.api.address import hub_address
    from kassa.api.client import AdminClient, ApiError, HubUnavailable
    from kassa.errors import UserError

    try:
        url, token = hub_address(opts["url"], opts["token"], opts["config"])
    except UserError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)

    async def go() -> Any:
        api = AdminClient(url, token, timeout=60.0)
        try:
            return await api.request(method, path, **kw)
        finally:
            await api.aclose()

    try:
        return anyio.run(go)
    except ApiError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except HubUnavailable:
        click.echo(text("hub", opts["locale"], url=url), err=True)
        sys.exit(2)


def line(d: dict[str, Any], locale: str) -> str:
    health = text("health", locale).get(d.get("health"), d.get("health"))
    where = f" [{d['site']}]" if d.get("site") else ""
    msg = f" — {d['message']}" if d.get("message") else ""
    return f"{d['name']} ({d['kind']}){where}: {health}{msg}"


def details(d: dict[str, Any], locale: str) -> list[str]:
    out = [line(d, locale)]
    avail = d.get("available")
    state = text("available" if avail else "unavailable", locale)
    since = f" {text('since', locale)} {d['since']}" if d.get("since") else ""
    out.append(f"  {state}{since}; {text('attempts', locale)}: {d.get('attempts', 0)}")
    if d.get("reason") and not avail:
        out.append(f"  {d['reason']}")
    out += [f"  {k}: {v}" for k, v in sorted((d.get("detail") or {}).items())]
    return out


def show(opts: dict[str, Any], data: Any, lines: list[str]) -> None:
    if opts["as_json"]:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(lines))


@click.group("devices")
def devices() -> None:
    """Printers, scales, scanners and terminals the running hub holds."""


@devices.command("list")
@hub_options
def list_devices(**opts: Any) -> None:
    """One line a device: name, kind, site, health."""
    data = call(opts, "GET", "/api/devices")
    show(opts, data, [line(d, opts["locale"]) for d in data] or [text("none", opts["locale"])])


@devices.command("status")
@click.argument("name", required=False)
@hub_options
def status(name: str | None, **opts: Any) -> None:
    """Each device (or NAME) in detail: health, availability, what its driver reports."""
    if name:
        one = call(opts, "GET", f"/api/devices/{name}", params={"locale": opts["locale"]})
        show(opts, one, details(one, opts["locale"]))
        return
    data = call(opts, "GET", "/api/devices")
    lines: list[str] = []
    for d in data:
        lines += [*details(d, opts["locale"]), ""]
    show(opts, data, lines[:-1] or [text("none", opts["locale"])])


@devices.command("test")
@click.argument("name")
@click.option("--key", default=None, help="Idempotency key (default: a new one); the same "
              "key never prints twice.")
@hub_options
def test(name: str, key: str | None, **opts: Any) -> None:
    """Print a test page on printer NAME through the hub's journal."""
    body = {"key": key, "locale": opts["locale"]}
    data = call(opts, "POST", f"/api/devices/{name}/test", json=body)
    show(opts, data, [text("printed", opts["locale"], name=name, key=data["key"])])


__all__ = ["devices"]
