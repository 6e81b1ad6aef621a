"""The admin API's device routes (under ``/api``, behind its token): every device the hub
runs with its own ``status()`` and the keeper's availability, and a test of one device: a
test page on a printer (through ``hub.devices`` and the journal: a repeated key never prints
twice), a reading of a scale, the next code a scanner reads (the operator scans one), a
terminal's own answer to a status request (its ``check()``: Sber's TestPinPad). None of the
tests but the printer's has an effect, so only the printer's is journaled."""

from __future__ import annotations

import uuid
from contextlib import aclosing
from typing import Any

import anyio
from litestar import Response, get, post

from kassa.errors import KassaError, Permanent, RetryLater, UserError
from kassa.model import DeviceStatus, PrintJob
from kassa.supervision import describe

TEXTS = {
    "ru": {"not_found": "Устройство «{name}» не найдено в хабе.",
           "title": "Тестовая страница Kassa", "printer": "Принтер: {name}",
           "key": "Ключ: {key}",
           "unknown": "Принтер «{name}» не подтвердил печать: {error}.",
           "no_scan": "Сканер «{name}» ничего не прочитал за {seconds} с.",
           "failed": "Устройство «{name}» не ответило: {error}."},
    "en": {"not_found": "No device named '{name}' runs in the hub.",
           "title": "Kassa test page", "printer": "Printer: {name}", "key": "Key: {key}",
           "unknown": "Printer '{name}' did not confirm the print: {error}.",
           "no_scan": "Scanner '{name}' read nothing in {seconds} s.",
           "failed": "Device '{name}' did not answer: {error}."},
}
SCAN_WAIT = 30.0  # seconds a scanner test waits by default (the operator walks to it)
SCAN_WAIT_MAX = 300.0
SAMPLE = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдеёжзийклмнопрстуфхцчшщъыьэюя 0123456789 №"


def _say(text: str, locale: str, **kw: Any) -> str:
    return TEXTS.get(locale, TEXTS["ru"])[text].format(**kw)


def _err(code: str, message: str, status: int) -> Response[Any]:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def device_data(hub: Any, dev: Any) -> dict[str, Any]:
    """One device as the API shows it: ``health``/``message``/``detail`` from its status(),
    ``available``/``reason``/``since``/``attempts`` from the hub's keeper."""
    name = str(dev.name)
    kept = hub.device_keeper.describe().get(name, {})
    out: dict[str, Any] = {"name": name, "kind": str(getattr(dev, "kind", "")),
                           "site": getattr(dev, "site", None) or kept.get("site"),
                           "available": kept.get("available"), "reason": kept.get("reason"),
                           "since": kept.get("since"), "attempts": kept.get("attempts", 0)}
    try:
        st = dev.status()
        out.update(health=str(st.health), message=st.message,
                   detail={k: v for k, v in dict(st.detail).items()
                           if isinstance(v, str | int | float | bool) or v is None})
    except Exception as exc:  # a status() that raises is the plugin's bug: shown, contained
        out.update(health="unknown", message=describe(exc), detail={})
    return out


def _site_of(hub: Any, dev: Any) -> str | None:
    if getattr(dev, "site", None):
        return str(dev.site)
    sites = hub.settings.sites
    named = [s.code for s in sites if dev.name in getattr(s, "printers", ())]
    return named[0] if named else (sites[0].code if sites else None)


def routes(hub: Any) -> list[Any]:
    """The route handlers, bound to ``hub`` (``kassa.api.app`` mounts them under /api)."""

    def find(name: str) -> Any:
        return next((d for d in hub.devices if str(d.name) == name), None)

    def loc(locale: str | None) -> str:
        return locale if locale in TEXTS else str(getattr(hub, "locale", "ru"))

    @get("/devices")
    async def devices() -> list[dict[str, Any]]:
        return [device_data(hub, d) for d in hub.devices]

    @get("/devices/{name:str}")
    async def device(name: str, locale: str | None = None) -> Response[Any]:
        dev = find(name)
        if dev is None:
            return _err("not_found", _say("not_found", loc(locale), name=name), 404)
        return Response(device_data(hub, dev))

    @post("/devices/{name:str}/test", status_code=200)
    async def test_page(name: str, data: dict[str, Any]) -> Response[Any]:
        lc = loc(data.get("locale"))
        dev = find(name)
        if dev is None:
            return _err("not_found", _say("not_found", lc, name=name), 404)
        kind = getattr(dev, "kind", "")
        try:
            if kind == "printer":
                return await _print_test(hub, dev, data, lc)
            if kind == "scale":
                return await _scale_test(hub, dev)
            if kind == "scanner":
                return await _scan_test(dev, data, lc)
            return await _check(hub, dev)
        except (UserError, Permanent) as exc:
            return _err("bad_request", str(exc), 400)
        except RetryLater as exc:  # not printed, or unknown (the journal keeps it)
            return _err("retry_later", str(exc), 503)
        except KassaError as exc:
            said = "unknown" if kind == "printer" else "failed"
            return _err("error", _say(said, lc, name=name, error=exc), 502)
        except Exception as exc:  # the device's own failure: one sentence, the hub goes on
            return _err("error", _say("failed", lc, name=name, error=describe(exc)), 502)

    return [devices, device, test_page]


async def _print_test(hub: Any, dev: Any, data: dict[str, Any], lc: str) -> Response[Any]:
    name = str(dev.name)
    key = str(data.get("key") or f"test:{name}:{uuid.uuid4().hex[:12]}")
    # no clock in it: the journal compares a repeated key's request with the first one
    job = PrintJob(lines=(_say("title", lc), _say("printer", lc, name=name),
                          _say("key", lc, key=key), SAMPLE))
    await hub.devices.print(job, key=key, site=_site_of(hub, dev), printer=name)
    return Response({"printed": True, "key": key, "device": device_data(hub, dev)})


async def _scale_test(hub: Any, dev: Any) -> Response[Any]:
    w = await hub.devices.read_weight(site=_site_of(hub, dev), scale=str(dev.name))
    weight = {"value": str(w.value), "unit": str(w.unit), "stable": w.stable,
              "overload": w.overload, "underload": w.underload, "tare": str(w.tare)}
    return Response({"weight": weight, "device": device_data(hub, dev)})


async def _scan_test(dev: Any, data: dict[str, Any], lc: str) -> Response[Any]:
    """The next code the scanner reads (taken from the till if one is reading too: the
    operator scans a test code)."""
    try:
        seconds = min(max(float(data.get("timeout") or SCAN_WAIT), 0.1), SCAN_WAIT_MAX)
    except (TypeError, ValueError):
        seconds = SCAN_WAIT
    shown = f"{seconds:g}".replace(".", "," if lc == "ru" else ".")
    with anyio.move_on_after(seconds):
        async with aclosing(dev.scans()) as scans:
            async for scan in scans:
                    return Response({"scan": {"code": scan.code,
                                          "symbology": str(scan.symbology),
                                          "at": scan.at.isoformat()}})
    return _err("timeout", _say("no_scan", lc, name=str(dev.name), seconds=shown), 504)


async def _check(hub: Any, dev: Any) -> Response[Any]:
    """A device's own answer now where it has one (``async check()``: a terminal's status
    request), else what its driver knows (``status()``)."""
    check = getattr(dev, "check", None)
    st = await check() if callable(check) else dev.status()
    if not isinstance(st, DeviceStatus):
        raise TypeError(f"{type(dev).__name__}.check() returned {type(st).__name__}")
    status = {"health": str(st.health), "message": st.message,
              "asked": callable(check)}
    return Response({"status": status, "device": device_data(hub, dev)})


__all__ = ["device_data", "routes"]
