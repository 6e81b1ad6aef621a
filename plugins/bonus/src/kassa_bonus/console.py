"""The operator console's Loyalty screen: find a guest by phone or card, see the balances and
the history.

It reads the bonus REST API on the hub the console is attached to, through the console's admin
client (``client.request``: its address, token, retries and error handling). The API lets the
hub's admin token read; a console that should use a read key of its own instead sends
``$KASSA_BONUS_API_KEY``, else the ``[bonus] api_keys`` entry named ``console`` in kassa.toml
(``$KASSA_CONFIG`` or ./kassa.toml). Texts follow the console's locale (Russian by default).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from kassa.model.money import format_amount, format_money
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from kassa_bonus.texts import say

PREFIX = "/api/bonus/v1"
KEY_ENV = "KASSA_BONUS_API_KEY"
BALANCE_COLS = ("account", "balance", "available", "limit")
HISTORY_COLS = ("at", "kind", "amount", "site", "order")


def console_key() -> str:
    """The read key the screen sends ("" when none is configured: the admin token reads)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV]
    try:
        from kassa.cli import load_settings

        bonus = load_settings(None).plugins.get("bonus")
    except Exception:  # no kassa.toml here (a console on another machine): no key
        return ""
    for k in getattr(bonus, "api_keys", []):
        if k.name == "console":
            return str(k.key.reveal())
    return ""


class LoyaltyPanel:
    """``register_console_panels`` returns this: key ``b`` opens the screen."""

    name = "bonus"
    key = "b"

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale  # the console sets its own before it reads the title

    @property
    def title(self) -> str:
        return say(self.locale or "ru", "console_title")

    def screen(self, client: Any) -> Screen[None]:
        return LoyaltyScreen(client, console_key())


class LoyaltyScreen(Screen[None]):
    """Typing goes to the search field while it has the focus; Esc leaves the field (the
    console's keys work again), Esc once more goes back to the Dashboard; ``/`` searches."""

    AUTO_FOCUS = "#loyalty-find"
    BINDINGS = [Binding("escape", "back", "Esc"), Binding("slash", "search", "/", show=False)]

    def __init__(self, client: Any, api_key: str) -> None:
        super().__init__()
        self.client = client
        self.api_key = api_key
        self.guest: dict[str, Any] | None = None
        self.site_names: dict[str, str] = {}  # code -> name, from the hub
        self.lookups = 0  # finished look-ups, whatever their outcome (tests wait on it)

    def on_mount(self) -> None:
        for key, action, text in (("escape", "back", "console_back"),
                                  ("slash", "search", "console_search")):
            self._bindings.key_to_bindings[key] = [
                Binding(key, action, self.say(text), show=key == "escape",
                        key_display="Esc" if key == "escape" else "/")]

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.set_focus(self.query_one("#loyalty-history", DataTable))
        elif hasattr(self.app, "action_show"):  # the console: back to its first screen
            self.app.action_show("dashboard")

    def action_search(self) -> None:
        self.query_one("#loyalty-find", Input).focus()

    @property
    def locale(self) -> str:
        return str(getattr(self.app, "locale", "ru"))

    def say(self, key: str, **kw: Any) -> str:
        return say(self.locale, key, **kw)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=self.say("console_find"), id="loyalty-find")
        yield Static(self.say("console_pick"), id="loyalty-guest")
        for table_id, cols in (("loyalty-balances", BALANCE_COLS),
                               ("loyalty-history", HISTORY_COLS)):
            table: DataTable[str] = DataTable(id=table_id, cursor_type="row")
            for c in cols:
                table.add_column(self.say(f"col_{c}"), key=c)
            yield table
        yield Footer()

    @on(Input.Submitted, "#loyalty-find")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.find(event.value.strip())

    @work(exclusive=True, group="loyalty")
    async def find(self, text: str) -> None:
        """Look the guest up and show what the API answers; errors become a notice."""
        try:
            await self._find(text)
        finally:
            self.lookups += 1

    async def _find(self, text: str) -> None:
        request = getattr(self.client, "request", None)
        if request is None:  # a replayed session has no hub behind it
            self.notify(self.say("console_offline"), severity="error")
            return
        headers = {"X-Api-Key": self.api_key} if self.api_key else {}
        await self._site_names()
        try:
            guest = await request("GET", f"{PREFIX}/identify", params={"identifier": text},
                                  headers=headers)
            history = await request("GET", f"{PREFIX}/guests/{guest['id']}/history",
                                    params={"limit": 100}, headers=headers)
        except ApiError as exc:
            if exc.code == "unknown_identifier":
                self.notify(self.say("console_not_found", text=text), severity="warning")
            else:
                self.notify(self.say("console_error", error=str(exc)), severity="error")
            return
        except HubUnavailable:
            self.notify(self.say("console_offline"), severity="error")
            return
        self.show(guest, history["items"])

    async def _site_names(self) -> None:
        """Restaurants by name, not code (the hub's sites; codes when it cannot say)."""
        if self.site_names or not hasattr(self.client, "sites"):
            return
        try:
            self.site_names = {s.code: s.name or s.code for s in await self.client.sites()}
        except (ApiError, HubUnavailable):
            pass

    def amount(self, account_kind: str, value: int) -> str:
        """Points as a number, money (deposits, credit) in rubles: "1 300,00" / "500,00 ₽"."""
        if account_kind == "bonus":
            return format_amount(value, self.locale)
        return format_money(value, self.locale)

    def when(self, at: str) -> str:
        try:
            return f"{datetime.fromisoformat(at).astimezone():%d.%m.%Y %H:%M}"
        except ValueError:
            return at[:16].replace("T", " ")

    def label(self, prefix: str, value: str) -> str:
        text = self.say(f"{prefix}_{value}")
        return value if text == f"{prefix}_{value}" else text

    def show(self, guest: dict[str, Any], items: list[dict[str, Any]]) -> None:
        self.guest = guest
        cards = ", ".join(f"{i['value']}" + ("" if i["status"] == "active" else f" ({i['status']})")
                          for i in guest["identifiers"] if i["kind"] != "phone")
        self.query_one("#loyalty-guest", Static).update(self.say(
            "console_guest", name=guest["name"] or "—", phone=guest["phone"] or "—",
            level=guest["level"] or "—", cards=cards or "—"))
        balances = self.query_one("#loyalty-balances", DataTable)
        balances.clear()
        for a in guest["accounts"]:
            kind = a["kind"]
            balances.add_row(self.label("account", kind), self.amount(kind, a["balance"]),
                             self.amount(kind, a["available"]), self.amount(kind, a["limit"]),
                             key=a["id"])
        history = self.query_one("#loyalty-history", DataTable)
        history.clear()
        for i in items:
            site = i["site"] or ""
            history.add_row(self.when(i["at"]), self.label("op", i["kind"]),
                            self.amount(i.get("account") or "bonus", i["amount"]),
                            self.site_names.get(site, site), i["order"] or "", key=i["id"])
