"""The till's layout: which actions sit on which keys (the bottom bar shows them), quick
items (a key sells an item by its code: a bag, bread), and the scanner burst's timing. A
TOML file per store (``[pos] layout = "path"``) or per till (``[[pos.tills]] layout``);
without one the packaged ``layout.toml``. A broken file refuses to start with one sentence
naming the file and the key.

    [scanner]
    min_length = 6        # the shortest scanned code
    max_gap_ms = 30       # between two keys of one scan

    [[keys]]
    key = "f2"            # a Textual key name: f1..f12, ctrl+b, ...
    action = "pay"        # one of ACTIONS
    label = "Оплата"      # optional: the bar's label (default: the action's own)

    [[quick]]
    key = "ctrl+b"
    item = "bag-1"        # an item code, PLU or barcode, sold as a scan of it
    label = "Пакет"
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import field, frozen
from kassa.errors import UserError

from kassa_pos.till.scanner import BurstConfig

ACTIONS = ("pay", "void_line", "void_check", "new_check", "next_check", "defer", "deferred",
           "guest", "return", "x_report", "cash_report", "shift", "drawer", "price",
           "discount", "search", "quantity", "quit")
RESERVED = ("enter", "escape", "tab", "up", "down", "backspace", "delete")


@frozen
class KeyAction:
    key: str
    action: str
    label: str = ""


@frozen
class QuickItem:
    key: str
    item: str
    label: str


@frozen
class Layout:
    keys: tuple[KeyAction, ...]
    quick: tuple[QuickItem, ...] = ()
    scanner: BurstConfig = field(factory=BurstConfig)
    source: str = "layout.toml"

    def action(self, key: str) -> str | None:
        return next((k.action for k in self.keys if k.key == key), None)

    def quick_item(self, key: str) -> QuickItem | None:
        return next((q for q in self.quick if q.key == key), None)


_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "unreadable": "раскладка кассы {source}: не читается ({why}).",
        "toml": "раскладка кассы {source}: не TOML ({why}).",
        "unknown_top": "раскладка кассы {source}: неизвестный ключ {key!r} (keys, quick, "
                       "scanner).",
        "table": "раскладка кассы {source}: {where} должен быть таблицей.",
        "no_key": "раскладка кассы {source}: нет {where}.key.",
        "reserved": "раскладка кассы {source}: {where}.key = {key!r} занята полем товара; "
                    "возьмите функциональную клавишу или ctrl+<буква>.",
        "twice": "раскладка кассы {source}: {where}.key = {key!r} уже занята ({other}).",
        "action": "раскладка кассы {source}: {where}.action = {action!r} — не одно из "
                  "{actions}.",
        "unknown": "раскладка кассы {source}: в {where} неизвестный ключ {key!r}.",
        "no_item": "раскладка кассы {source}: нет {where}.item (кода товара).",
        "scanner": "раскладка кассы {source}: в [scanner] только min_length и max_gap_ms.",
        "min_length": "раскладка кассы {source}: scanner.min_length — от 3 до 64.",
        "max_gap": "раскладка кассы {source}: scanner.max_gap_ms — от 5 до 200.",
        "no_pay": "раскладка кассы {source}: ни одна клавиша не делает 'pay' (оплата).",
    },
    "en": {
        "unreadable": "till layout {source}: cannot be read ({why}).",
        "toml": "till layout {source}: not TOML ({why}).",
        "unknown_top": "till layout {source}: unknown key {key!r} (keys, quick, scanner).",
        "table": "till layout {source}: {where} must be a table.",
        "no_key": "till layout {source}: {where}.key is missing.",
        "reserved": "till layout {source}: {where}.key = {key!r} is taken by the item field; "
                    "use a function key or ctrl+<letter>.",
        "twice": "till layout {source}: {where}.key = {key!r} is already {other}.",
        "action": "till layout {source}: {where}.action = {action!r} is not one of "
                  "{actions}.",
        "unknown": "till layout {source}: {where} has an unknown key {key!r}.",
        "no_item": "till layout {source}: {where}.item (an item code) is missing.",
        "scanner": "till layout {source}: [scanner] takes min_length and max_gap_ms.",
        "min_length": "till layout {source}: scanner.min_length must be 3..64.",
        "max_gap": "till layout {source}: scanner.max_gap_ms must be 5..200.",
        "no_pay": "till layout {source}: no key has the action 'pay'.",
    },
}


class LayoutError(UserError):
    """A layout file the till refuses, one sentence: ``str(err)`` Russian (the till's
    default), ``err.text("en")`` English."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        return _TEXT.get(locale, _TEXT["ru"])[self.code].format(**self.params)


def default() -> Layout:
    text = resources.files("kassa_pos.till").joinpath("layout.toml").read_text("utf-8")
    return parse(text, source="layout.toml (packaged)")


def load(path: str | Path | None) -> Layout:
    """The layout file ``path`` (None or empty: the packaged default)."""
    if not path:
        return default()
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise LayoutError("unreadable", source=str(p), why=exc.strerror) from None
    return parse(text, source=str(p))


def parse(text: str, *, source: str) -> Layout:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError("toml", source=source, why=str(exc)) from None
    unknown = set(raw) - {"keys", "quick", "scanner"}
    if unknown:
        raise LayoutError("unknown_top", source=source, key=sorted(unknown)[0])
    seen: dict[str, str] = {}

    def key_of(entry: Any, where: str) -> str:
        if not isinstance(entry, dict):
            raise LayoutError("table", source=source, where=where)
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            raise LayoutError("no_key", source=source, where=where)
        key = key.strip().lower()
        if key in RESERVED or (len(key) == 1 and key.isprintable()):
            raise LayoutError("reserved", source=source, where=where, key=key)
        if key in seen:
            raise LayoutError("twice", source=source, where=where, key=key,
                              other=seen[key])
        seen[key] = where
        return key

    keys = []
    for i, entry in enumerate(raw.get("keys", [])):
        where = f"keys[{i}]"
        key = key_of(entry, where)
        action = entry.get("action")
        if action not in ACTIONS:
            raise LayoutError("action", source=source, where=where, action=action,
                              actions=", ".join(ACTIONS))
        extra = set(entry) - {"key", "action", "label"}
        if extra:
            raise LayoutError("unknown", source=source, where=where,
                              key=sorted(extra)[0])
        keys.append(KeyAction(key=key, action=action, label=str(entry.get("label", ""))))
    quick = []
    for i, entry in enumerate(raw.get("quick", [])):
        where = f"quick[{i}]"
        key = key_of(entry, where)
        item = entry.get("item")
        if not isinstance(item, str) or not item.strip():
            raise LayoutError("no_item", source=source, where=where)
        quick.append(QuickItem(key=key, item=item.strip(),
                               label=str(entry.get("label", item)).strip()))
    sc = raw.get("scanner", {})
    if not isinstance(sc, dict) or set(sc) - {"min_length", "max_gap_ms"}:
        raise LayoutError("scanner", source=source)
    min_length, gap = sc.get("min_length", 6), sc.get("max_gap_ms", 30)
    if not isinstance(min_length, int) or not 3 <= min_length <= 64:
        raise LayoutError("min_length", source=source)
    if not isinstance(gap, int | float) or not 5 <= gap <= 200:
        raise LayoutError("max_gap", source=source)
    if not any(k.action == "pay" for k in keys):
        raise LayoutError("no_pay", source=source)
    return Layout(keys=tuple(keys), quick=tuple(quick),
                  scanner=BurstConfig(min_length=min_length, max_gap=gap / 1000),
                  source=source)
