"""``kassa devices list|status|test``: the hub's devices through the RUNNING hub's admin API
(``/api/devices``), so a test page goes through ``hub.devices`` and its journal. Only click
is imported here: ``kassa --help`` stays fast."""

from __future__ import annotations

import json
from typing import Any

import click

from kassa.api.admin_cli import hub_options, run_admin

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

def text(which: str, locale: str, **kw: Any) -> Any:
    value = TEXTS.get(locale, TEXTS["ru"])[which]
    return value.format(**kw) if isinstance(value, str) else value


def call(opts: dict[str, Any], method: str, path: str, **kw: Any) -> Any:
    """One admin API request (``kassa.api.admin_cli.run_admin``: exit 1 or 2 on failure)."""
    return run_admin(opts, lambda api: api.request(method, path, **kw), timeout=60.0,
                     unreachable=lambda url, exc: text("hub", opts["locale"], url=url))


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
