"""The message rules' loader: ``[[pos.messages]]`` (the raw list in ``PosSettings.messages``)
structured with cattrs into ``messages.Rule``; a broken rule is one ``ConfigError`` naming the
rule and the key, in the till's language. A ``when`` key that is not a built-in condition is
looked up among the plugins' ``TillCondition`` components."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import cattrs
from attrs import fields
from kassa.errors import ConfigError
from kassa.hookspecs.retail import TillCondition

from kassa_pos.engine.messages import (
    FLAGS,
    PLACEHOLDERS,
    Rule,
    TillEventKind,
    When,
    placeholders,
)

BUILT_IN = frozenset(f.name for f in fields(When))

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "rule": "правило сообщений «{rule}»: {problem}",
        "not_list": "ожидается список правил ([[pos.messages]])",
        "not_table": "правило должно быть таблицей",
        "no_name": "у правила нет имени (ключ name)",
        "twice": "имя уже занято другим правилом",
        "no_on": "не указано, на какие события правило срабатывает (ключ on)",
        "kind": "неизвестное событие {value!r}; бывают: {known}",
        "flag": "неизвестный признак товара {value!r}; бывают: {known}",
        "guest": "ожидается \"any\" (карта есть) или \"none\" (карты нет), а не {value!r}",
        "weekday": "дни недели — числа от 1 (понедельник) до 7 (воскресенье)",
        "negative": "значение не может быть отрицательным",
        "empty": "нужен текст подсказки (prompt) или чека (receipt)",
        "placeholder": "неизвестная подстановка {{{value}}}; бывают: {known}",
        "template": "шаблон текста не читается: {value}",
        "draw_prompt": "код розыгрыша печатается только на чеке (receipt), не в подсказке",
        "condition": "неизвестное условие {value!r}; встроенные: {known}",
        "bad": "{value}",
        "int": "ожидается целое число",
        "str": "ожидается строка",
        "bool": "ожидается true или false",
        "list": "ожидается список",
        "time": "ожидается время \"ЧЧ:ММ\"",
        "date": "ожидается дата ГГГГ-ММ-ДД",
        "table": "ожидается таблица",
        "unknown_key": "неизвестный ключ",
    },
    "en": {
        "rule": "message rule {rule!r}: {problem}",
        "not_list": "expected a list of rules ([[pos.messages]])",
        "not_table": "a rule must be a table",
        "no_name": "the rule has no name (key name)",
        "twice": "another rule has this name",
        "no_on": "the rule names no events to fire on (key on)",
        "kind": "unknown event {value!r}; known: {known}",
        "flag": "unknown item flag {value!r}; known: {known}",
        "guest": "expected \"any\" (a card) or \"none\" (no card), not {value!r}",
        "weekday": "weekdays are numbers from 1 (Monday) to 7 (Sunday)",
        "negative": "the value must not be negative",
        "empty": "a prompt or a receipt text is needed",
        "placeholder": "unknown placeholder {{{value}}}; known: {known}",
        "template": "the text template does not parse: {value}",
        "draw_prompt": "a draw code is printed on the receipt only, not in a prompt",
        "condition": "unknown condition {value!r}; built-in: {known}",
        "bad": "{value}",
        "int": "expected an integer",
        "str": "expected a string",
        "bool": "expected true or false",
        "list": "expected a list",
        "time": "expected a time \"HH:MM\"",
        "date": "expected a date YYYY-MM-DD",
        "table": "expected a table",
        "unknown_key": "unknown key",
    },
}


class _Bad(Exception):
    """A problem inside one rule: a text key and its values, raised up to ``_error``."""

    def __init__(self, key: str, text: str, **values: Any) -> None:
        self.key, self.text, self.values = key, text, values
        super().__init__(text)


def _time(value: Any, _: Any) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError("time")
    h, m = map(int, value.strip().split(":"))
    if h > 23 or m > 59:
        raise ValueError("time")
    return time(h, m)


def _date(value: Any, _: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError("date") from None


def _strict(kind: type, label: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        # TOML gives real types: a quoted "5" for an integer is a mistake, not a conversion
        if type(value) is not kind:
            raise ValueError(label)
        return value
    return structure


_CONVERTER = cattrs.Converter(forbid_extra_keys=True)
_CONVERTER.register_structure_hook(time, _time)
_CONVERTER.register_structure_hook(date, _date)
_CONVERTER.register_structure_hook(int, _strict(int, "int"))
_CONVERTER.register_structure_hook(str, _strict(str, "str"))
_CONVERTER.register_structure_hook(bool, _strict(bool, "bool"))


def _tuple_of(kind: type) -> Callable[[Any, Any], tuple[Any, ...]]:
    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):  # a bare string would be read letter by letter
            raise ValueError("list")
        return tuple(_CONVERTER.structure(v, kind) for v in value)
    return structure


def _is(tp: Any) -> Callable[[Any], bool]:
    return lambda t: bool(t == tp)


_CONVERTER.register_structure_hook_func(_is(tuple[str, ...]), _tuple_of(str))
_CONVERTER.register_structure_hook_func(_is(tuple[int, ...]), _tuple_of(int))


def _structure_when(raw: Any) -> When:
    try:
        return _CONVERTER.structure(raw, When)
    except cattrs.ClassValidationError as exc:
        key, label = _first(exc)
        raise _Bad(f"when.{key}", label) from None


def _first(exc: BaseException) -> tuple[str, str]:
    """(the key, the text key of what was expected) of cattrs' first failure."""
    if isinstance(exc, cattrs.ClassValidationError):
        for sub in exc.exceptions:
            notes = [n for n in getattr(sub, "__notes__", []) if hasattr(n, "name")]
            name = notes[0].name if notes else ""
            key, label = _first(sub)
            return (f"{name}.{key}" if key and name else name or key), label
    if isinstance(exc, cattrs.IterableValidationError):
        for sub in exc.exceptions:
            return _first(sub)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return sorted(exc.extra_fields)[0], "unknown_key"
    text = str(exc)
    if text in TEXTS["en"]:
        return "", text
    if isinstance(exc, TypeError | ValueError) and "iterable" in text.lower():
        return "", "list"
    return "", "bad"


def _rule(raw: Any, conditions: Mapping[str, TillCondition]) -> Rule:
    if not isinstance(raw, Mapping):
        raise _Bad("", "not_table")
    raw = dict(raw)
    name = raw.pop("name", None)
    if not isinstance(name, str) or not name.strip():
        raise _Bad("name", "no_name")
    on = raw.pop("on", None)
    if isinstance(on, str):
        on = [on]
    if not on or not isinstance(on, list):
        raise _Bad("on", "no_on")
    kinds = []
    for k in on:
        if k not in set(TillEventKind):
            raise _Bad("on", "kind", value=k, known=", ".join(TillEventKind))
        kinds.append(TillEventKind(k))
    when_raw = raw.pop("when", {})
    if not isinstance(when_raw, Mapping):
        raise _Bad("when", "table")
    built = {k: v for k, v in when_raw.items() if k in BUILT_IN}
    extra = []
    for key, value in when_raw.items():
        if key in BUILT_IN:
            continue
        cond = conditions.get(key)
        if cond is None:
            raise _Bad(f"when.{key}", "condition", value=key, known=", ".join(sorted(BUILT_IN)))
        try:
            extra.append((cond, cond.parse(value)))
        except (ValueError, TypeError) as exc:
            raise _Bad(f"when.{key}", "bad", value=str(exc)) from None
    when = _structure_when(built)
    _check_when(when)
    texts: dict[str, Any] = {}
    for key, label in (("prompt", "str"), ("receipt", "str"), ("once", "bool")):
        if key in raw:
            value = raw.pop(key)
            if type(value) is not (bool if label == "bool" else str):
                raise _Bad(key, label)
            texts[key] = value
    if raw:
        raise _Bad(sorted(raw)[0], "unknown_key")
    if not (texts.get("prompt", "").strip() or texts.get("receipt", "").strip()):
        raise _Bad("prompt", "empty")
    for key in ("prompt", "receipt"):
        try:
            fields_ = placeholders(texts.get(key, ""))
        except ValueError as exc:
            raise _Bad("", "template", value=str(exc)) from None
        for ph in fields_:
            if ph not in PLACEHOLDERS:
                raise _Bad(key, "placeholder", value=ph, known=", ".join(PLACEHOLDERS))
            if ph == "draw_code" and key == "prompt":
                raise _Bad(key, "draw_prompt")
    return Rule(name=name.strip(), on=tuple(kinds), when=when, extra=tuple(extra), **texts)


def _check_when(w: When) -> None:
    for flag in w.flags:
        if flag not in FLAGS:
            raise _Bad("when.flags", "flag", value=flag, known=", ".join(sorted(FLAGS)))
    if w.guest is not None and w.guest not in ("any", "none"):
        raise _Bad("when.guest", "guest", value=w.guest)
    if any(d < 1 or d > 7 for d in w.weekdays):
        raise _Bad("when.weekdays", "weekday")
    for key in ("lines_over", "total_from", "total_under", "birthday_within"):
        value = getattr(w, key)
        if value is not None and value < 0:
            raise _Bad(f"when.{key}", "negative")


def load_rules(raw: Any, conditions: Sequence[TillCondition] = (), *, locale: str = "ru",
               path: str = "pos.messages") -> tuple[Rule, ...]:
    """The rules of ``[[pos.messages]]``; ``conditions``: the plugins' (``get_plugins()
    .till_conditions()``). A broken rule: ``ConfigError`` naming the rule and the key."""
    texts = TEXTS.get(locale, TEXTS["ru"])
    if not isinstance(raw, list):
        raise ConfigError(texts["not_list"], path=path)
    by_name: dict[str, TillCondition] = {}
    for cond in conditions:
        if cond.name in BUILT_IN or cond.name in by_name:
            # two meanings for one key would silently change what a rule means
            raise ConfigError(texts["condition"].format(value=cond.name, known="—"), path=path)
        by_name[cond.name] = cond
    rules: list[Rule] = []
    for i, item in enumerate(raw):
        label = item.get("name") if isinstance(item, Mapping) else None
        try:
            rule = _rule(item, by_name)
            if any(r.name == rule.name for r in rules):
                raise _Bad("name", "twice")
        except _Bad as bad:
            problem = texts[bad.text].format(**bad.values)
            where = f"{path}[{i}]" + (f".{bad.key}" if bad.key else "")
            raise ConfigError(texts["rule"].format(rule=label or f"#{i + 1}", problem=problem),
                              path=where) from None
        rules.append(rule)
    return tuple(rules)


# --- conditions ---------------------------------------------------------------------------------
