"""The operator console's Delivery screen (key ``j``): the queue of drivers' receipts, what
waits and for how long and why, refreshed every few seconds. It reads ``/api/delivery/v1/jobs``
through the console's admin client (the hub's token may read jobs)."""

from __future__ import annotations

from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from kassa.model.money import format_money
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

PREFIX = "/api/delivery/v1"
COLS = ("job", "order", "driver", "amount", "status", "detail")
WORDS: dict[str, dict[str, str]] = {
    "ru": {"title": "Доставка", "job": "№", "order": "Заказ", "driver": "Водитель",
           "amount": "Сумма", "status": "Статус", "detail": "Подробности",
           "queued": "в очереди", "fiscalised": "пробит", "failed": "ошибка",
           "skipped": "без чека", "none_waiting": "Очередь пуста: касса успевает.",
           "waiting": "В очереди {count}; дольше всех ждёт {minutes} мин: {reason}",
           "queued_only": "В очереди {count}.", "offline": "Хаб недоступен.",
           "error": "Ошибка API доставки: {error}", "back": "Назад",
           "copy": "копия: {status}", "copy_sent": "отправлена", "copy_not_sent":
           "не отправлена", "copy_ofd": "через ОФД", "copy_none": "нет", "copy_pending":
           "отправляется", "copy_unknown": "могла не дойти", "refund": "возврат"},
    "en": {"title": "Delivery", "job": "#", "order": "Order", "driver": "Driver",
           "amount": "Amount", "status": "Status", "detail": "Detail",
           "queued": "queued", "fiscalised": "fiscalised", "failed": "failed",
           "skipped": "no receipt", "none_waiting": "The queue is empty.",
           "waiting": "{count} queued; the oldest waits {minutes} min: {reason}",
           "queued_only": "{count} queued.", "offline": "The hub is unreachable.",
           "error": "Delivery API error: {error}", "back": "Back",
           "copy": "copy: {status}", "copy_sent": "sent", "copy_not_sent": "not sent",
           "copy_ofd": "by the OFD", "copy_none": "none", "copy_pending": "sending",
           "copy_unknown": "may not have arrived", "refund": "refund"},
}


def say(locale: str, key: str, **kw: Any) -> str:
    text = WORDS.get(locale, WORDS["ru"]).get(key, key)
    return text.format(**kw) if kw else text


class DeliveryPanel:
    name = "delivery"
    key = "j"

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale

    @property
    def title(self) -> str:
        return say(self.locale or "ru", "title")

    def screen(self, client: Any) -> Screen[None]:
        return DeliveryScreen(client)


class DeliveryScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Esc")]

    def __init__(self, client: Any, refresh_s: float = 3.0) -> None:
        super().__init__()
        self.client = client
        self.refresh_s = refresh_s
        self.loads = 0  # finished loads, whatever their outcome (tests wait on it)

    @property
    def locale(self) -> str:
        return str(getattr(self.app, "locale", "ru"))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="delivery-summary")
        table: DataTable[str] = DataTable(id="delivery-jobs", cursor_type="row")
        for c in COLS:
            table.add_column(say(self.locale, c), key=c)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self.load(), exclusive=True, group="delivery")
        self.set_interval(self.refresh_s, lambda: self.run_worker(
            self.load(), exclusive=True, group="delivery"))

    def action_back(self) -> None:
        if hasattr(self.app, "action_show"):
            self.app.action_show("dashboard")

    async def load(self) -> None:
        try:
            await self._load()
        finally:
            self.loads += 1

    async def _load(self) -> None:
        request = getattr(self.client, "request", None)
        summary = self.query_one("#delivery-summary", Static)
        if request is None:
            summary.update(say(self.locale, "offline"))
            return
        try:
            queued = await request("GET", f"{PREFIX}/jobs", params={"status": "queued",
                                                                     "limit": 500})
            recent = await request("GET", f"{PREFIX}/jobs", params={"limit": 50})
        except HubUnavailable:
            summary.update(say(self.locale, "offline"))
            return
        except ApiError as exc:
            summary.update(say(self.locale, "error", error=str(exc)))
            return
        self.show(queued, recent)

    def show(self, queued: list[dict[str, Any]], recent: list[dict[str, Any]]) -> None:
        loc = self.locale
        summary = self.query_one("#delivery-summary", Static)
        oldest = queued[-1] if queued else None  # newest first: the last is the oldest
        if oldest is None:
            summary.update(say(loc, "none_waiting"))
        elif oldest["waiting"]:
            summary.update(say(loc, "waiting", count=len(queued),
                               minutes=oldest["waiting"]["minutes"],
                               reason=oldest["waiting"]["reason"]))
        else:
            summary.update(say(loc, "queued_only", count=len(queued)))
        table = self.query_one("#delivery-jobs", DataTable)
        table.clear()
        seen = set()
        for j in [*reversed(queued), *recent]:
            if j["job_id"] in seen:
                continue
            seen.add(j["job_id"])
            table.add_row(str(j["job_id"]), j["order_id"], j["driver"],
                          format_money(j["amount"], loc), self.status(j),
                          self.detail(j), key=str(j["job_id"]))

    def status(self, j: dict[str, Any]) -> str:
        word = say(self.locale, j["status"])
        return f"{say(self.locale, 'refund')}: {word}" if j.get("kind") == "refund" else word

    def detail(self, j: dict[str, Any]) -> str:
        if j["waiting"]:
            return f"{j['waiting']['minutes']} мин: {j['waiting']['reason']}"
        if j["error"]:
            return str(j["error"])
        if j["fiscal"]:
            status = say(self.locale, f"copy_{j['copy']['status']}")
            copy = say(self.locale, "copy", status=status)
            if j["copy"]["reason"]:
                copy += f" ({j['copy']['reason']})"
            return f"ФД {j['fiscal']['fd']} ФП {j['fiscal']['fp']}, {copy}"
        return ""
