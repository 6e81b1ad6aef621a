"""The ``plu`` reference package: the weighed goods a store's label scales hold. Its body
``{"items": [...]}`` carries rows of ``kassa.model.PluItem``'s fields; ``items_of`` checks
them for what every label scale needs, at the centre before publishing and at the store
before applying (one sentence naming the item and the field). Each scale then keeps its
own departments and groups and checks its own limits when it takes the table
(``plu_upload``)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from kassa.model import PluItem
from kassa.model.device import PLU_MAX_CODE, PLU_MAX_GROUP, PLU_MAX_SHELF_LIFE, PLU_MAX_TARE

from kassa_pos.chain.refdata import RefusedPackage

FIELDS = tuple(attrs.fields_dict(PluItem))
# field -> (lowest, highest or None); code, name and price are required
_RANGES: dict[str, tuple[int, int | None]] = {
    "code": (1, PLU_MAX_CODE), "price": (1, None), "plu": (1, None),
    "group": (0, PLU_MAX_GROUP), "shelf_life": (0, PLU_MAX_SHELF_LIFE),
    "tare": (0, PLU_MAX_TARE), "message": (0, None), "picture": (0, None)}
_REQUIRED = ("code", "name", "price")

_TEXTS = {
    "ru": {"item": "позиция {n} (код {code})", "field": "{where}: {field} — {why}",
           "row": "{where}: не таблица полей", "unknown": "неизвестное поле (допустимы: {known})",
           "missing": "не задано", "int": "должно быть целым числом {range}",
           "from": "от {lo}", "range": "от {lo} до {hi}", "name": "пустое наименование",
           "text": "должно быть строкой", "dup_code": "код {code} уже у позиции {other}",
           "dup_plu": "номер PLU {plu} уже у позиции {other}",
           "shape": "пакет PLU — не список товаров (items)",
           "empty": "в таблице PLU нет товаров: пустая таблица весам не отправляется"},
    "en": {"item": "item {n} (code {code})", "field": "{where}: {field} — {why}",
           "row": "{where}: not a table of fields", "unknown": "unknown field (allowed: {known})",
           "missing": "missing", "int": "must be a whole number {range}",
           "from": "from {lo}", "range": "from {lo} to {hi}", "name": "the name is empty",
           "text": "must be a string", "dup_code": "code {code} is item {other}'s already",
           "dup_plu": "PLU number {plu} is item {other}'s already",
           "shape": "the PLU package is not a list of items (items)",
           "empty": "the PLU table has no items: an empty table is not sent to the scales"},
}


def _say(locale: str, key: str, **kw: Any) -> str:
    return _TEXTS["en" if locale == "en" else "ru"][key].format(**kw)


def _problem(row: Mapping[str, Any], locale: str) -> tuple[str, str] | None:
    """The first bad field of one row and why, or None."""
    for key in row:
        if key not in FIELDS:
            return str(key), _say(locale, "unknown", known=", ".join(FIELDS))
    for key in _REQUIRED:
        if row.get(key) is None:
            return key, _say(locale, "missing")
    for key, (lo, hi) in _RANGES.items():
        value = row.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < lo or (
                hi is not None and value > hi):
            span = _say(locale, "from", lo=lo) if hi is None else _say(locale, "range", lo=lo,
                                                                        hi=hi)
            return key, _say(locale, "int", range=span)
    if not isinstance(row["name"], str):
        return "name", _say(locale, "text")
    if not row["name"].strip():
        return "name", _say(locale, "name")
    if not isinstance(row.get("department", ""), str):
        return "department", _say(locale, "text")
    return None


def items_of(body: Any, locale: str = "ru") -> list[PluItem]:
    """A ``plu`` body's items; ``RefusedPackage`` naming the first bad item and field, a
    code or PLU number given twice, or an empty table (it would empty every scale)."""
    rows = body.get("items") if isinstance(body, Mapping) else None
    if not isinstance(rows, list):
        raise RefusedPackage(_say(locale, "shape"))
    if not rows:
        raise RefusedPackage(_say(locale, "empty"))
    out: list[PluItem] = []
    codes: dict[int, int] = {}
    numbers: dict[int, int] = {}
    for n, row in enumerate(rows, start=1):
        code = row.get("code", "?") if isinstance(row, Mapping) else "?"
        where = _say(locale, "item", n=n, code=code)
        if not isinstance(row, Mapping):
            raise RefusedPackage(_say(locale, "row", where=where))
        bad = _problem(row, locale)
        if bad is not None:
            raise RefusedPackage(_say(locale, "field", where=where, field=bad[0], why=bad[1]))
        item = PluItem(**{k: row[k] for k in FIELDS if k in row})
        if item.code in codes:
            raise RefusedPackage(_say(locale, "field", where=where, field="code", why=_say(
                locale, "dup_code", code=item.code, other=codes[item.code])))
        if item.number in numbers:
            raise RefusedPackage(_say(locale, "field", where=where, field="plu", why=_say(
                locale, "dup_plu", plu=item.number, other=numbers[item.number])))
        codes[item.code] = numbers[item.number] = n
        out.append(item)
    return out


def body_of(items: list[PluItem]) -> dict[str, Any]:
    """The package's body: every field of every item (what the digest covers)."""
    return {"items": [attrs.asdict(i) for i in items]}


def read(file: Path, locale: str = "ru") -> dict[str, Any]:
    """A PLU file as a checked body: JSON (a list of items or ``{"items": [...]}``) or TOML
    (``[[items]]`` tables); ``ValueError`` naming the file when it does not read,
    ``RefusedPackage`` for a bad item."""
    raw = file.read_bytes()
    try:
        data = json.loads(raw) if file.suffix == ".json" else tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file.name}: {exc}") from None
    return body_of(items_of({"items": data} if isinstance(data, list) else data, locale))
