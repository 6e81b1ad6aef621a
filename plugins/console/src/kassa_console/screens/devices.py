"""Devices: every device the hub runs (printers, scales, terminals...) with its health and
what its driver reports, and a test of the picked one (a page on a printer, a reading of a
scale, the next scan, a terminal's answer). Through the hub's ``/api/devices`` routes, so a
test page goes through ``hub.devices`` and its journal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from rich.text import Text
from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kassa_console.screens.base import ConsoleScreen, run_async
from kassa_console.widgets.table import sync_rows

COLUMNS = ("device", "kind", "site", "health")
STYLES = {"ok": "green", "degraded": "yellow", "down": "bold red", "unavailable": "bold red"}
TEXTS = {
    "ru": {"device": "Устройство", "kind": "Тип", "site": "Точка", "health": "Состояние",
           "ok": "в порядке", "degraded": "предупреждение", "down": "не отвечает",
           "unavailable": "не запущено", "unknown": "неизвестно",
           "pick": "Выберите устройство", "none": "Устройств нет: хаб не запускает ни одного",
           "printed": "Тестовая страница напечатана на «{name}»",
           "weighed": "Весы «{name}»: {value} {unit}, {stable}",
           "stable": "вес стабилен", "unstable": "вес не успокоился",
           "overload": "перегрузка", "scan_now": "Отсканируйте код сканером «{name}»…",
           "scanned": "Сканер «{name}» прочитал {code} ({symbology})",
           "checked": "«{name}» ответил: {health}",
           "available": "доступно", "unavailable_since": "недоступно с {since}",
           "attempts": "попыток запуска: {n}"},
    "en": {"device": "Device", "kind": "Kind", "site": "Site", "health": "Health",
           "ok": "ok", "degraded": "warning", "down": "down", "unavailable": "not started",
           "unknown": "unknown", "pick": "Pick a device",
           "none": "No devices: the hub runs none",
           "printed": "Test page printed on '{name}'", "available": "available",
           "weighed": "Scale '{name}': {value} {unit}, {stable}", "stable": "stable",
           "unstable": "not settled", "overload": "overload",
           "scan_now": "Scan a code with '{name}'…",
           "scanned": "Scanner '{name}' read {code} ({symbology})",
           "checked": "'{name}' answered: {health}",
           "unavailable_since": "unavailable since {since}", "attempts": "start attempts: {n}"},
}


class DevicesScreen(ConsoleScreen):
    TITLE_KEY = "screen.devices"
    AUTO_FOCUS = "#devices"
    OWN_KEYS_FIRST = True
    DEFAULT_CSS = """
    #devices { width: 3fr; }
    #devices-pane { width: 2fr; border-left: solid $primary; padding: 0 1; }
    """
    BINDINGS = [("t", "test_page", "key.devices_test")]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, dict[str, Any]] = {}
        self.picked: str | None = None

    @property
    def texts(self) -> dict[str, str]:
        return TEXTS.get(self.console.locale, TEXTS["ru"])

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="devices-body"):
            table: DataTable[object] = DataTable(id="devices", cursor_type="row")
            for key in COLUMNS:
                table.add_column(self.texts[key], key=key)
            yield table
            with VerticalScroll(id="devices-pane"):
                yield Static(self.texts["pick"], id="devices-detail")

    async def load(self) -> None:
        if not hasattr(self.client, "request"):  # a replayed recording has no devices
            self.query_one("#devices-detail", Static).update(self.texts["none"])
            return
        items = await self.ask(self.client.request("GET", "/api/devices"))
        if items is None:
            return
        self.items = {i["name"]: i for i in items}
        sync_rows(self.query_one("#devices", DataTable),
                  {name: self._row(i) for name, i in self.items.items()})
        if not items:
            self.query_one("#devices-detail", Static).update(self.texts["none"])
            return
        if self.picked not in self.items:
            self.picked = next(iter(self.items))
        self._show_detail()

    def _row(self, item: dict[str, Any]) -> tuple[object, ...]:
        health = str(item.get("health") or "unknown")
        if item.get("available") is False:
            health = "unavailable"
        state = Text("● " + self.texts.get(health, health), style=STYLES.get(health, "dim"))
        return item["name"], item["kind"], item.get("site") or "—", state

    def _show_detail(self) -> None:
        item = self.items.get(self.picked or "")
        pane = self.query_one("#devices-detail", Static)
        if item is None:
            pane.update(self.texts["pick"])
            return
        tx = self.texts
        lines = [f"{item['name']} ({item['kind']})"]
        if item.get("message"):
            lines.append(str(item["message"]))
        lines.append(tx["available"] if item.get("available") else
                     tx["unavailable_since"].format(since=item.get("since") or "—"))
        if not item.get("available") and item.get("reason"):
            lines.append(str(item["reason"]))
        lines.append(tx["attempts"].format(n=item.get("attempts", 0)))
        lines += [f"{k}: {v}" for k, v in sorted((item.get("detail") or {}).items())]
        pane.update(Text("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#devices")
    def _picked(self, message: DataTable.RowHighlighted) -> None:
        if message.row_key.value and message.row_key.value != self.picked:
            self.picked = message.row_key.value
            self._show_detail()

    def _outcome(self, name: str, got: dict[str, Any]) -> str:
        tx = self.texts
        if "weight" in got:
            w = got["weight"]
            value = str(w.get("value", "?")).replace(".", "," if self.console.locale == "ru"
                                                     else ".")
            stable = tx["overload"] if w.get("overload") else tx[
                "stable" if w.get("stable") else "unstable"]
            unit = {"kg": "кг", "g": "г"}.get(w.get("unit"), w.get("unit")) if (
                self.console.locale == "ru") else w.get("unit")
            return tx["weighed"].format(name=name, value=value, unit=unit, stable=stable)
        if "scan" in got:
            return tx["scanned"].format(name=name, code=got["scan"].get("code"),
                                        symbology=got["scan"].get("symbology"))
        if "status" in got:
            st = got["status"]
            health = tx.get(st.get("health"), st.get("health"))
            said = f"{health}" + (f" — {st['message']}" if st.get("message") else "")
            return tx["checked"].format(name=name, health=said)
        return tx["printed"].format(name=name)

    def action_test_page(self) -> None:
        item = self.items.get(self.picked or "")
        if item is None:
            self.notify(self.texts["pick"], severity="warning")
            return
        if item.get("kind") == "scanner":
            self.notify(self.texts["scan_now"].format(name=item["name"]), timeout=10)
        run_async(self, partial(self._test_page, item["name"]), group="devices-test",
                  exit_on_error=False)

    async def _test_page(self, name: str) -> None:
        """Test the device the way its kind is tested (``/api/devices/{name}/test``): a
        printer prints a page, a scale is read, a scanner waits for a code, a terminal is
        asked."""
        body = {"key": f"console:{uuid.uuid4().hex}", "locale": self.console.locale}
        try:
            got = await self.client.request("POST", f"/api/devices/{name}/test", json=body)
        except (ApiError, HubUnavailable) as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.notify(self._outcome(name, got if isinstance(got, dict) else {}))
        self.reload()
