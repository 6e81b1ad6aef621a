"""The admin API's device routes (under ``/api``, behind its token): every device the hub
runs with its own ``status()`` and the keeper's availability, and a test page on a printer
printed through ``hub.devices`` (the journal: a repeated key never prints twice)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get, post

from kassa.errors import KassaError, Permanent, RetryLater, UserError
from kassa.model import PrintJob
from kassa.supervision import describe

TEXTS = {
    "ru": {"not_found": "Устройство «{name}» не найдено в хабе.",
           "not_printer": "Устройство «{name}» не принтер: тестовую страницу печатает"
                          " только принтер.",
           "title": "Тестовая страница Kassa", "printer": "Принтер: {name}",
           "key": "Ключ: {key}",
           "unknown": "Принтер «{name}» не подтвердил печать: {error}."},
    "en": {"not_found": "No device named '{name}' runs in the hub.",
           "not_printer": "Device '{name}' is not a printer: only a printer prints a test page.",
           "title": "Kassa test page", "printer": "Printer: {name}", "key": "Key: {key}",
           "unknown": "Printer '{name}' did not confirm the print: {error}."},
}
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
        if getattr(dev, "kind", "") != "printer":
            return _err("bad_request", _say("not_printer", lc, name=name), 400)
        key = str(data.get("key") or f"test:{name}:{uuid.uuid4().hex[:12]}")
        # no clock in it: the journal compares a repeated key's request with the first one
        job = PrintJob(lines=(_say("title", lc), _say("printer", lc, name=name),
                              _say("key", lc, key=key), SAMPLE))
        site = _site_of(hub, dev)
        try:
            await hub.devices.print(job, key=key, site=site, printer=name)
        except (UserError, Permanent) as exc:
            return _err("bad_request", str(exc), 400)
        except RetryLater as exc:  # not printed, or unknown (the journal keeps it)
            return _err("retry_later", str(exc), 503)
        except KassaError as exc:
            return _err("error", _say("unknown", lc, name=name, error=exc), 502)
        return Response({"printed": True, "key": key, "device": device_data(hub, dev)})

    return [devices, device, test_page]


__all__ = ["device_data", "routes"]
