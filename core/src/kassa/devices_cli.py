"""``kassa devices list|status|test``: the hub's devices through the RUNNING hub's admin API
(``/api/devices``), so a test page goes through ``hub.devices`` and its journal. Only click
is imported here: ``kassa --help`` stays fast."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from kassa.api.admin_cli import hub_options, run_admin

TEXTS = {
    "ru": {"none": "Хаб не запускает ни одного устройства.",
           "hub": "Хаб по адресу {url} недоступен: он не запущен или адрес другой.",
           "printed": "Тестовая страница напечатана на «{name}» (ключ {key}).",
           "weighed": "Весы «{name}»: {value} {unit}, {state}.",
           "stable": "вес стабилен", "unstable": "вес не успокоился", "overload": "перегрузка",
           "underload": "вес ниже нуля", "units": {"kg": "кг", "g": "г"},
           "scan_now": "Отсканируйте код сканером «{name}» (жду {seconds} с)…",
           "scanned": "Сканер «{name}» прочитал {code} ({symbology}).",
           "asked": "Терминал «{name}» ответил: {health}{message}.",
           "known": "«{name}»: {health}{message} (устройство не проверяется запросом).",
           "available": "доступно", "unavailable": "недоступно", "since": "с",
           "attempts": "попыток запуска", "health": {"ok": "в порядке",
                                                     "degraded": "с предупреждением",
                                                     "down": "не отвечает",
                                                     "unavailable": "не запущено",
                                                     "unknown": "неизвестно"}},
    "en": {"none": "The hub runs no devices.",
           "hub": "The hub at {url} is unreachable: it is not running or the address differs.",
           "printed": "Test page printed on '{name}' (key {key}).",
           "weighed": "Scale '{name}': {value} {unit}, {state}.",
           "stable": "stable", "unstable": "not settled", "overload": "overload",
           "underload": "below zero", "units": {"kg": "kg", "g": "g"},
           "scan_now": "Scan a code with '{name}' (waiting {seconds} s)…",
           "scanned": "Scanner '{name}' read {code} ({symbology}).",
           "asked": "Terminal '{name}' answered: {health}{message}.",
           "known": "'{name}': {health}{message} (this device has no test request).",
           "available": "available", "unavailable": "unavailable", "since": "since",
           "attempts": "start attempts", "health": {"ok": "ok", "degraded": "degraded",
                                                    "down": "down",
                                                    "unavailable": "not started",
                                                    "unknown": "unknown"}},
}

def text(which: str, locale: str, **kw: Any) -> Any:
    value = TEXTS.get(locale, TEXTS["ru"])[which]
    return value.format(**kw) if isinstance(value, str) else value


def call(opts: dict[str, Any], method: str, path: str, *, timeout: float = 60.0,
         **kw: Any) -> Any:
    """One admin API request (``kassa.api.admin_cli.run_admin``: exit 1 or 2 on failure)."""
    return run_admin(opts, lambda api: api.request(method, path, **kw), timeout=timeout,
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
@click.option("--key", default=None, help="Idempotency key of a printer's test page (default: "
              "a new one); the same key never prints twice.")
@click.option("--timeout", "wait", type=click.FloatRange(0.1, 300.0), default=30.0,
              show_default=True, help="Seconds a scanner's test waits for a code.")
@hub_options
def test(name: str, key: str | None, wait: float, **opts: Any) -> None:
    """Test device NAME the way its kind is tested: a printer prints a page (through the
    journal), a scale is read, a scanner waits for the next code, a terminal is asked."""
    lc = opts["locale"]
    body = {"key": key, "locale": lc, "timeout": wait}
    if not opts["as_json"]:
        kind = call(opts, "GET", f"/api/devices/{name}", params={"locale": lc}).get("kind")
        if kind == "scanner":
            shown = f"{wait:g}".replace(".", "," if lc == "ru" else ".")
            click.echo(text("scan_now", lc, name=name, seconds=shown), err=True)
    data = call(opts, "POST", f"/api/devices/{name}/test", json=body, timeout=wait + 30)
    show(opts, data, [outcome(name, data, lc)])


def outcome(name: str, data: dict[str, Any], lc: str) -> str:
    """One sentence for what the test found."""
    if "weight" in data:
        w = data["weight"]
        state = next((text(k, lc) for k in ("overload", "underload") if w.get(k)),
                     text("stable" if w.get("stable") else "unstable", lc))
        value = str(w.get("value", "?")).replace(".", ",") if lc == "ru" else w.get("value")
        unit = text("units", lc).get(w.get("unit"), w.get("unit"))
        return str(text("weighed", lc, name=name, value=value, unit=unit, state=state))
    if "scan" in data:
        scan = data["scan"]
        return str(text("scanned", lc, name=name, code=scan.get("code"),
                        symbology=scan.get("symbology")))
    if "status" in data:
        st = data["status"]
        health = text("health", lc).get(st.get("health"), st.get("health"))
        message = f" — {st['message']}" if st.get("message") else ""
        return str(text("asked" if st.get("asked") else "known", lc, name=name,
                        health=health, message=message))
    return str(text("printed", lc, name=name, key=data.get("key")))


# --- discover: no hub; the core's interfaces and the plugins' claim_device ------------------
KINDS = {"ru": {"printer": "принтер", "scale": "весы", "scanner": "сканер",
                "terminal": "терминал", "video": "видеосистема"},
         "en": {"printer": "printer", "scale": "scale", "scanner": "scanner",
                "terminal": "card terminal", "video": "video system"}}
DISCOVER: dict[str, dict[str, str | dict[str, str]]] = {
    "ru": {"summary": "Найдено устройств: {found}, не опознано: {unknown}.",
           "claimed": "{where}: {kind} — {model} (плагин {plugin})",
           "paste": "  Добавьте в kassa.toml:", "cannot": "  Настроить нельзя: {note}",
           "also": "  Также заявил плагин {plugin}: {kind} — {model}",
           "unknown": "Не опознаны (ни один плагин не признал):",
           "skipped": "Пропущены, чтобы не мешать хабу:",
           "closed": "Не отвечают (порт закрыт или нет ответа): {list}",
           "failures": "Ошибки плагинов (обнаружение продолжено):",
           "noconfig": "Файл {path} не найден: занятые хабом порты видны только по открытым "
                       "файлам устройств.",
           "nothing": "Ничего не найдено.", "needport": "Укажите --port для --host "
                       "(например, --port 9100,4001).",
           "badport": "«{value}» — не номер TCP-порта (1–65535).",
           "failed": "плагин {plugin} на {address}: {error}",
           "why": {"config": "его настраивает kassa.toml: {detail}",
                   "held": "его держит процесс {detail}",
                   "missing": "нет такого файла устройства",
                   "cannot_open": "не открывается: {detail}",
                   "EACCES": "нет прав (добавьте пользователя в группу dialout)",
                   "not_tty": "это не последовательный порт",
                   "same": "то же устройство, что {detail}"}},
    "en": {"summary": "Devices found: {found}, not recognised: {unknown}.",
           "claimed": "{where}: {kind} — {model} (plugin {plugin})",
           "paste": "  Add to kassa.toml:", "cannot": "  Cannot be configured: {note}",
           "also": "  Also claimed by plugin {plugin}: {kind} — {model}",
           "unknown": "Not recognised (no plugin claimed them):",
           "skipped": "Skipped so as not to disturb the hub:",
           "closed": "Not answering (port closed or no answer): {list}",
           "failures": "Plugin errors (discovery went on):",
           "noconfig": "{path} not found: ports the hub holds are seen only by open device "
                       "files.",
           "nothing": "Nothing found.", "needport": "Give --port with --host "
                       "(e.g. --port 9100,4001).",
           "badport": "{value!r} is not a TCP port number (1-65535).",
           "failed": "plugin {plugin} on {address}: {error}",
           "why": {"config": "kassa.toml configures it: {detail}",
                   "held": "process {detail} has it open",
                   "missing": "no such device file",
                   "cannot_open": "cannot be opened: {detail}",
                   "EACCES": "permission denied (add the user to the dialout group)",
                   "not_tty": "not a serial port",
                   "same": "the same device as {detail}"}},
}


def dtext(which: str, locale: str, **kw: Any) -> str:
    value = DISCOVER.get(locale, DISCOVER["ru"])[which]
    assert isinstance(value, str)
    return value.format(**kw)


def why(skip: dict[str, Any], locale: str) -> str:
    words = DISCOVER.get(locale, DISCOVER["ru"])["why"]
    assert isinstance(words, dict)
    if skip["reason"] == "cannot_open" and skip["detail"] in words:
        return str(words[skip["detail"]])
    return str(words.get(skip["reason"], skip["reason"])).format(detail=skip["detail"])


def parse_ports(values: tuple[str, ...], locale: str) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 65535:
                raise click.BadParameter(dtext("badport", locale, value=part),
                                         param_hint="--port")
            out.append(int(part))
    return list(dict.fromkeys(out))


def where(c: dict[str, Any]) -> str:
    extra = " ".join(x for x in (c.get("ids"), c.get("manufacturer"), c.get("product")) if x)
    return f"{c['address']} ({extra})" if extra else c["address"]


def configured_hosts(path: Any) -> tuple[tuple[str, ...], list[int]]:
    """``[discovery]`` hosts and ports from kassa.toml; a broken file is its one sentence
    and exit 2, as for every command that reads it."""
    from kassa.config import load
    from kassa.errors import ConfigError
    from kassa.plugins import get_plugins

    try:
        found = load(path, sections=get_plugins().settings_sections()).discovery
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    return tuple(found.hosts), list(found.ports)


def discover_lines(data: dict[str, Any], locale: str) -> list[str]:
    kinds = KINDS.get(locale, KINDS["ru"])
    claimed = [f for f in data["found"] if f["claim"]]
    unknown = [f for f in data["found"] if not f["claim"]]
    out = [dtext("summary", locale, found=len(claimed), unknown=len(unknown))]
    for f in claimed:
        c = f["claim"]
        out += ["", dtext("claimed", locale, where=where(f), kind=kinds.get(c["kind"], c["kind"]),
                          model=c["model"], plugin=c["plugin"])]
        if c["config"]:
            out += [dtext("paste", locale), *("    " + ln for ln in c["config"].splitlines())]
        elif c["note"]:
            out.append(dtext("cannot", locale, note=c["note"]))
        if c["config"] and c["note"]:
            out.append(f"  {c['note']}")
        out += [dtext("also", locale, plugin=o["plugin"], kind=kinds.get(o["kind"], o["kind"]),
                      model=o["model"]) for o in f["also"]]
    if unknown:
        out += ["", dtext("unknown", locale), *(f"  {where(f)}" for f in unknown)]
    if data["skipped"]:
        out += ["", dtext("skipped", locale),
                *(f"  {where(s)} — {why(s, locale)}" for s in data["skipped"])]
    if data["closed"]:
        out += ["", dtext("closed", locale, list=", ".join(data["closed"]))]
    if data["failures"]:
        out += ["", dtext("failures", locale),
                *("  " + dtext("failed", locale, **f) for f in data["failures"])]
    return out


@devices.command("discover")
@click.option("--host", "hosts", multiple=True,
              help="A host, address or network (10.0.0.0/28) to try on every --port.")
@click.option("--port", "ports", multiple=True, help="TCP ports for --host, e.g. 9100,4001.")
@click.option("--device", "device_files", multiple=True,
              help="A serial device file to try as well (a pty, /dev/serial/by-id/...).")
@click.option("--serial/--no-serial", default=True, show_default=True,
              help="The machine's serial ports (sysfs).")
@click.option("--usb/--no-usb", default=True, show_default=True, help="USB devices (sysfs).")
@click.option("--timeout", default=0.3, show_default=True, type=click.FloatRange(0.05, 5.0),
              help="Seconds a probe waits for an answer.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--locale", default="ru", show_default=True, type=click.Choice(["ru", "en"]))
@click.option("--config", "-c", "config", default=None,
              help="kassa.toml whose devices are the hub's (default: $KASSA_CONFIG or "
                   "./kassa.toml); their ports are not touched.")
def discover(hosts: tuple[str, ...], ports: tuple[str, ...], device_files: tuple[str, ...],
             serial: bool, usb: bool, timeout: float, as_json: bool, locale: str,
             config: str | None) -> None:
    """Find printers, scales, scanners and terminals and say which plugin drives each, with
    the kassa.toml block that adds it. Runs without the hub; probes are short status
    requests, never a print or a charge."""
    import os
    from pathlib import Path

    import anyio

    from kassa.discovery import discover as run
    from kassa.discovery import expand_hosts, held_by_config
    from kassa.plugins import get_plugins

    port_list = parse_ports(ports, locale)
    path = Path(config or os.environ.get("KASSA_CONFIG") or "kassa.toml")
    if not hosts and not port_list and path.is_file():
        hosts, port_list = configured_hosts(path)  # [discovery] in kassa.toml
    if hosts and not port_list:
        raise click.UsageError(dtext("needport", locale))
    try:
        expand_hosts(hosts)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from None
    notes = [] if path.is_file() else [dtext("noconfig", locale, path=path)]
    held = held_by_config(path)
    result = anyio.run(lambda: run(get_plugins(), hosts=hosts, ports=port_list, serial=serial,
                                   usb=usb, devices=device_files, held=held, locale=locale,
                                   wait=timeout))
    data = result.to_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    lines = discover_lines(data, locale)
    if not data["found"] and not data["skipped"]:
        lines = [dtext("nothing", locale), *lines[1:]]
    click.echo("\n".join([*notes, *lines]))


__all__ = ["devices"]
