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
from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from kassa.model.money import rubles
from textual import on, work
from textual.app import ComposeResult
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
    AUTO_FOCUS = "#loyalty-find"

    def __init__(self, client: Any, api_key: str) -> None:
        super().__init__()
        self.client = client
        self.api_key = api_key
        self.guest: dict[str, Any] | None = None
        self.lookups = 0  # finished look-ups, whatever their outcome (tests wait on it)

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
            balances.add_row(a["kind"], rubles(a["balance"]), rubles(a["available"]),
                             rubles(a["limit"]), key=a["id"])
        history = self.query_one("#loyalty-history", DataTable)
        history.clear()
        for i in items:
            history.add_row(i["at"][:16].replace("T", " "), i["kind"], rubles(i["amount"]),
                            i["site"], i["order"], key=i["id"])
