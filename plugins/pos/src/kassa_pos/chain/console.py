"""The operator console's Stores screen (key ``s``) on the chain's centre: each store and
till, the last document's time, the lag, reachable or not, the catalog version it applied
out of the newest published (in the store line's till column); refreshed every few seconds from
``/api/pos/chain/v1/stores`` (``chain/lag.py``) through the console's admin client.
Russian by default, English with the console's ``en`` locale."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from kassa_pos.chain.lag import PREFIX

COLS = ("store", "till", "last_at", "seq", "lag", "state")
WORDS: dict[str, dict[str, str]] = {
    "ru": {"title": "Магазины сети", "store": "Магазин", "till": "Касса",
           "last_at": "Последний документ", "seq": "№ док.", "lag": "В пути",
           "state": "Связь", "online": "на связи", "offline": "нет связи {ago}",
           "unknown": "нет данных", "never": "ещё не было", "alerted": ", тревога с {since}",
           "summary": "Магазинов {stores}: на связи {online}, без связи {offline}. "
                      "Ждут записи в базу: {waiting}.",
           "no_centre": "Этот хаб не центр сети ([pos.chain] centre = true).",
           "offline_hub": "Хаб недоступен.", "error": "Ошибка API сети: {error}",
           "catalog": "каталог {applied}/{published}",
           "rules": "правила {applied}/{published}",
           "layout": "раскладка {applied}/{published}",
           "plu": "весы {applied}/{published}",
           "clients": "клиенты {applied}/{published}",
           "s": "{n} с", "m": "{n} мин", "h": "{n} ч"},
    "en": {"title": "Chain stores", "store": "Store", "till": "Till",
           "last_at": "Last document", "seq": "Doc #", "lag": "In transit",
           "state": "Link", "online": "online", "offline": "offline {ago}",
           "unknown": "no data", "never": "none yet", "alerted": ", alert since {since}",
           "summary": "{stores} stores: {online} online, {offline} offline. "
                      "Waiting to be stored: {waiting}.",
           "no_centre": "This hub is not the chain's centre ([pos.chain] centre = true).",
           "offline_hub": "The hub is unreachable.", "error": "Chain API error: {error}",
           "catalog": "catalog {applied}/{published}",
           "rules": "rules {applied}/{published}",
           "layout": "layout {applied}/{published}",
           "plu": "scales {applied}/{published}",
           "clients": "clients {applied}/{published}",
           "s": "{n} s", "m": "{n} min", "h": "{n} h"},
}


def say(locale: str, key: str, **kw: Any) -> str:
    text = WORDS.get(locale, WORDS["ru"]).get(key, key)
    return text.format(**kw) if kw else text


def ago(locale: str, seconds: float) -> str:
    n = int(seconds)
    if n < 120:
        return say(locale, "s", n=n)
    if n < 7200:
        return say(locale, "m", n=n // 60)
    return say(locale, "h", n=n // 3600)


def _time(value: str | None, locale: str) -> str:
    if not value:
        return say(locale, "never")
    return datetime.fromisoformat(value).strftime("%d.%m %H:%M:%S")


def state_text(store: dict[str, Any], locale: str) -> str:
    if store["online"] is None:
        return say(locale, "unknown")
    if store["online"]:
        text = say(locale, "online")
    else:
        silent = store["silent_s"]
        text = say(locale, "offline", ago=ago(locale, silent) if silent is not None else "")
        text = text.strip()
    if store.get("offline_since"):
        text += say(locale, "alerted", since=_time(store["offline_since"], locale))
    return text


def catalog_text(store: dict[str, Any], published: dict[str, int], locale: str) -> str:
    """``каталог 3/4``: the version the store applied out of the newest published, then the
    other kinds the centre published (``правила 1/2``); empty while none is known."""
    parts = []
    for kind in ("catalog", "rules", "layout", "plu", "clients"):
        applied = (store.get("ref") or {}).get(kind, {}).get("version")
        newest = published.get(kind)
        if applied is None and newest is None:
            continue
        parts.append(say(locale, kind, applied="—" if applied is None else applied,
                         published="—" if newest is None else newest))
    return ", ".join(parts)


def rows(data: dict[str, Any], locale: str) -> list[tuple[str, ...]]:
    """The table: a line per store (its newest document, its catalog version), then a line
    per till."""
    out: list[tuple[str, ...]] = []
    published = data.get("published") or {}
    for s in data["stores"]:
        lag = "" if s["lag"] is None else str(s["lag"])
        name = s["store"] if s["name"] == s["store"] else f"{s['store']} {s['name']}"
        out.append((name, catalog_text(s, published, locale), _time(s["last_at"], locale), "",
                    lag, state_text(s, locale)))
        for t in s["tills"]:
            out.append(("", t["till"], _time(t["last_at"], locale), str(t["last_seq"]), "",
                        ""))
    return out


def summary(data: dict[str, Any], locale: str) -> str:
    stores = data["stores"]
    waiting = data.get("waiting")
    return say(locale, "summary", stores=len(stores),
               online=sum(1 for s in stores if s["online"]),
               offline=sum(1 for s in stores if s["online"] is False),
               waiting="?" if waiting is None else waiting)


class ChainPanel:
    """A centre screen as ``register_console_panels`` returns it: ``key`` opens
    ``screen_cls``, titled from ``words``."""

    name = ""
    key = ""
    words: dict[str, dict[str, str]] = WORDS

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale

    @property
    def title(self) -> str:
        return self.words.get(self.locale or "ru", self.words["ru"])["title"]

    def screen(self, client: Any) -> Screen[None]:
        return self.screen_cls(client)

    @property
    def screen_cls(self) -> type[ChainScreen]:
        raise NotImplementedError


class StoresPanel(ChainPanel):
    """Key ``s``: the chain's stores, their lag and reference data."""

    name = "pos-chain"
    key = "s"

    @property
    def screen_cls(self) -> type[ChainScreen]:
        return StoresScreen


class ChainScreen(Screen[None]):
    """A screen reading one API path (``prefix`` + ``path``, the chain's by default) every
    ``refresh_s`` seconds: ``show`` its data; a hub without the route (404: not the centre),
    unreachable or failing says so in the head line (``#<head>``, the words' ``missing``
    key for a 404), in the console's language via ``words``."""

    BINDINGS = [Binding("escape", "back", "Esc")]
    prefix = PREFIX  # the API's (a store's screen reads its own)
    path = ""
    head = ""
    missing = "no_centre"  # the words' key for a 404: the route is not on this hub
    words: dict[str, dict[str, str]] = WORDS

    def __init__(self, client: Any, refresh_s: float = 3.0) -> None:
        super().__init__()
        self.client = client
        self.refresh_s = refresh_s
        self.loads = 0  # finished loads, whatever their outcome (tests wait on it)

    @property
    def locale(self) -> str:
        return str(getattr(self.app, "locale", "ru"))

    def said(self, key: str, **kw: Any) -> str:
        text = self.words.get(self.locale, self.words["ru"]).get(key, key)
        return text.format(**kw) if kw else text

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(self.refresh_s, self.reload)

    def reload(self) -> None:
        """Load now (a load still running is cancelled)."""
        self.run_worker(self.load(), exclusive=True, group=self.path)

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
        head = self.query_one(f"#{self.head}", Static)
        if request is None:
            head.update(self.said("offline_hub"))
            return
        params = self.params()
        try:
            data = await request("GET", f"{self.prefix}{self.path}",
                                 **({"params": params} if params else {}))
        except HubUnavailable:
            head.update(self.said("offline_hub"))
            return
        except ApiError as exc:
            key = self.missing if getattr(exc, "status", None) == 404 else "error"
            head.update(self.said(key, error=str(exc)))
            return
        self.show(data)

    def params(self) -> dict[str, Any]:
        """The query string of the next load (none by default)."""
        return {}

    def show(self, data: dict[str, Any]) -> None:
        raise NotImplementedError


class StoresScreen(ChainScreen):
    path = "/stores"
    head = "chain-summary"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="chain-summary")
        table: DataTable[str] = DataTable(id="chain-stores", cursor_type="row")
        for c in COLS:
            table.add_column(say(self.locale, c), key=c)
        yield table
        yield Footer()

    def show(self, data: dict[str, Any]) -> None:
        self.query_one("#chain-summary", Static).update(summary(data, self.locale))
        table = self.query_one("#chain-stores", DataTable)
        table.clear()
        for n, row in enumerate(rows(data, self.locale)):
            table.add_row(*row, key=str(n))
