"""The ``clients`` reference package: the chain's client register, so a store identifies a
card while the loyalty programme is out of reach (``engine/client_register.py`` reads it at
the till). Its body ``{"clients": [...]}`` carries one row per card: ``card``, ``guest``
(the programme's guest id), ``name`` (as the cashier sees it), ``groups`` (consumer groups),
``birthday`` (``MM-DD``: the year is dropped when the file is read, the rules need only the
day) and ``blocked``. ``entries_of`` checks every row, at the centre before publishing and
at the store before applying: one sentence naming the row and the field, never a name or a
birthday. The store applies a package by replacing its whole register in the apply's
transaction (``refdata.apply_package``)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kassa_pos.chain.refdata import RefusedPackage
from kassa_pos.engine.client import mask
from kassa_pos.engine.client_register import YEAR, Entry

FIELDS = ("card", "guest", "name", "groups", "birthday", "blocked")
MAX_CARD, MAX_GUEST, MAX_NAME, MAX_GROUP = 64, 128, 200, 64
_YES = {"1", "true", "yes", "да", "y"}
_NO = {"", "0", "false", "no", "нет", "n"}

_TEXTS = {
    "ru": {"row": "строка {n}", "card": "строка {n} (карта {card})",
           "field": "{where}: {field} — {why}", "table": "{where}: не таблица полей",
           "unknown": "неизвестное поле (допустимы: {known})", "missing": "не задано",
           "text": "должно быть строкой до {max} знаков", "spaces": "номер карты без пробелов",
           "groups": "список групп (строки до {max} знаков)",
           "birthday": "не дата (ГГГГ-ММ-ДД или ММ-ДД)", "blocked": "да или нет (true/false)",
           "twice": "карта уже в строке {other}",
           "shape": "пакет клиентов — не список карт (clients)",
           "empty": "в справочнике клиентов нет карт: пустой справочник магазинам не "
                    "отправляется"},
    "en": {"row": "row {n}", "card": "row {n} (card {card})",
           "field": "{where}: {field} — {why}", "table": "{where}: not a table of fields",
           "unknown": "unknown field (allowed: {known})", "missing": "missing",
           "text": "must be a string of up to {max} characters",
           "spaces": "a card number has no spaces",
           "groups": "a list of groups (strings of up to {max} characters)",
           "birthday": "not a date (YYYY-MM-DD or MM-DD)", "blocked": "yes or no (true/false)",
           "twice": "the card is in row {other} already",
           "shape": "the clients package is not a list of cards (clients)",
           "empty": "the client register has no cards: an empty register is not sent"},
}


def _say(locale: str, key: str, **kw: Any) -> str:
    return _TEXTS["en" if locale == "en" else "ru"][key].format(**kw)


class _Bad(Exception):
    def __init__(self, field: str, why: str) -> None:
        self.field, self.why = field, why


def _text(row: Mapping[str, Any], key: str, limit: int, locale: str, *,
          required: bool) -> str:
    value = row.get(key)
    if value is None or value == "":
        if required:
            raise _Bad(key, _say(locale, "missing"))
        return ""
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise _Bad(key, _say(locale, "text", max=limit))
    return value.strip()


def _groups(value: Any, locale: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):  # a CSV cell: "vip; parents"
        value = re.split(r"[;,|]", value)
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
        raise _Bad("groups", _say(locale, "groups", max=MAX_GROUP))
    out = tuple(dict.fromkeys(g.strip() for g in value if g.strip()))
    if any(len(g) > MAX_GROUP for g in out):
        raise _Bad("groups", _say(locale, "groups", max=MAX_GROUP))
    return out


def _birthday(value: Any, locale: str) -> str | None:
    """``YYYY-MM-DD``, ``MM-DD`` or ``--MM-DD`` -> ``MM-DD`` (a real day of the year)."""
    if value is None or value == "":
        return None
    m = re.fullmatch(r"(?:(\d{4})-|--)?(\d{2})-(\d{2})", value.strip()) \
        if isinstance(value, str) else None
    try:
        if m is None:
            raise ValueError(value)
        date(int(m.group(1) or YEAR), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _Bad("birthday", _say(locale, "birthday")) from None
    return f"{m.group(2)}-{m.group(3)}"


def _blocked(value: Any, locale: str) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().casefold() if isinstance(value, str) else None
    if value is None or word in _NO:
        return False
    if word in _YES:
        return True
    raise _Bad("blocked", _say(locale, "blocked"))


def _entry(row: Mapping[str, Any], locale: str) -> Entry:
    for key in row:
        if key not in FIELDS:
            raise _Bad(str(key), _say(locale, "unknown", known=", ".join(FIELDS)))
    card = _text(row, "card", MAX_CARD, locale, required=True)
    if any(c.isspace() for c in card):
        raise _Bad("card", _say(locale, "spaces"))
    return Entry(card=card, guest=_text(row, "guest", MAX_GUEST, locale, required=True),
                 name=" ".join(_text(row, "name", MAX_NAME, locale, required=False).split()),
                 groups=_groups(row.get("groups"), locale),
                 birthday=_birthday(row.get("birthday"), locale),
                 blocked=_blocked(row.get("blocked"), locale))


def entries_of(body: Any, locale: str = "ru", lines: Sequence[int] = ()) -> list[Entry]:
    """A ``clients`` body's rows; ``RefusedPackage`` naming the first bad row and field, a
    card given twice, or an empty register (it would empty every store's). ``lines``: the
    file's line of each row (a CSV), else rows are counted from 1."""
    rows = body.get("clients") if isinstance(body, Mapping) else None
    if not isinstance(rows, list):
        raise RefusedPackage(_say(locale, "shape"))
    if not rows:
        raise RefusedPackage(_say(locale, "empty"))
    out: list[Entry] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        n = lines[i] if i < len(lines) else i + 1
        if not isinstance(row, Mapping):
            raise RefusedPackage(_say(locale, "table", where=_say(locale, "row", n=n)))
        raw = row.get("card")
        where = _say(locale, "card", n=n, card=mask(raw)) if isinstance(raw, str) and \
            raw.strip() else _say(locale, "row", n=n)
        try:
            entry = _entry(row, locale)
        except _Bad as bad:
            raise RefusedPackage(_say(locale, "field", where=where, field=bad.field,
                                      why=bad.why)) from None
        if entry.card in seen:
            raise RefusedPackage(_say(locale, "field", where=where, field="card",
                                      why=_say(locale, "twice", other=seen[entry.card])))
        seen[entry.card] = n
        out.append(entry)
    return out


def body_of(entries: Sequence[Entry]) -> dict[str, Any]:
    """The package's body: every field of every card, normalised (what the digest covers)."""
    return {"clients": [{"card": e.card, "guest": e.guest, "name": e.name,
                         "groups": list(e.groups), "birthday": e.birthday,
                         "blocked": e.blocked} for e in entries]}


def read(file: Path, locale: str = "ru") -> dict[str, Any]:
    """A clients file as a checked body: JSON (a list of rows or ``{"clients": [...]}``) or
    CSV (a header row of ``FIELDS``; ``,`` ``;`` or tab separated; groups in one cell split
    by ``;`` ``,`` or ``|``); ``ValueError`` naming the file when it does not read,
    ``RefusedPackage`` for a bad row."""
    suffix = file.suffix.casefold()
    try:
        text = file.read_text(encoding="utf-8-sig")
        if suffix == ".json":
            data = json.loads(text)
            return body_of(entries_of({"clients": data} if isinstance(data, list) else data,
                                      locale))
        if suffix != ".csv":
            raise ValueError(f"{file.name}: " + ("нужен файл .json или .csv" if locale != "en"
                                                 else "a .json or .csv file is needed"))
        try:
            dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
        rows, lines = [], []
        for r in reader:
            rows.append({(k or "").strip().casefold(): v for k, v in r.items()})
            lines.append(reader.line_num)
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ValueError(f"{file.name}: {exc}") from None
    return body_of(entries_of({"clients": rows}, locale, lines))
