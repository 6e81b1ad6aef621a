"""What the simulated ATOL Online checks in a document before it answers ``wait``.

Sources: the v5 field set and enums (fiscal.md §2.4, Platron v5 ``data_objects``); sums as
ATOL's driver checks them (fiscal.md §12: items sum to the total, payments equal it, an item
sum is price x quantity within 1 kopeck); a client contact on every receipt
(``MyBook/django-atol``: "receipt must contain either of the two"); VAT rates by date
(fiscal.md §1.5). Each finding is ``(field, reason)``; the first one is the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kassa.model import VatRate

from kassa_atol.online.settings import SNO
from kassa_atol.online.wire import CORRECTION_OPS, METHODS, RECEIPT_OPS, STAMP

OPS = set(RECEIPT_OPS.values()) | set(CORRECTION_OPS.values())
VAT_TYPES = {r.atol: r for r in VatRate}
METHOD_NAMES = set(METHODS.values())
MARK_TYPES = {"unknown", "ean8", "ean13", "itf14", "gs1m", "short", "fur", "egais20",
              "egais30"}
PHONE = re.compile(r"\+?\d{10,15}")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
CENT = Decimal("0.01")
Finding = tuple[str, str]


def first_problem(op: str, body: Any, group_inn: str) -> Finding | None:
    for found in _check(op, body, group_inn):
        return found
    return None


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    d = Decimal(str(value))
    return d if d >= 0 and d == d.quantize(CENT) else None


def _check(op: str, body: Any, group_inn: str) -> Iterator[Finding]:
    if not isinstance(body, Mapping):
        yield "body", "ожидается JSON-объект"
        return
    ext = body.get("external_id")
    if not isinstance(ext, str) or not 1 <= len(ext) <= 128:
        yield "external_id", "строка от 1 до 128 символов"
    try:
        stamp = datetime.strptime(str(body.get("timestamp")), STAMP)
    except ValueError:
        yield "timestamp", "ожидается dd.mm.yyyy HH:MM:SS"
        return
    service = body.get("service")
    if service is not None and not (isinstance(service, Mapping)
                                    and isinstance(service.get("callback_url", ""), str)):
        yield "service.callback_url", "ожидается строка"
    part = "correction" if op in CORRECTION_OPS.values() else "receipt"
    doc = body.get(part)
    if not isinstance(doc, Mapping):
        yield part, "обязательный объект"
        return
    yield from _company(part, doc.get("company"), group_inn)
    if part == "receipt":
        yield from _client(part, doc.get("client"))
        day: date | None = stamp.date() if op in ("sell", "buy") else None
    else:
        info = doc.get("correction_info")
        day = None
        if not isinstance(info, Mapping) or info.get("type") not in ("self", "instruction"):
            yield f"{part}.correction_info.type", "допустимо self или instruction"
            return
        try:
            day = datetime.strptime(str(info.get("base_date")), "%d.%m.%Y").date()
        except ValueError:
            yield f"{part}.correction_info.base_date", "ожидается dd.mm.yyyy"
        if info["type"] == "instruction" and not info.get("base_number"):
            yield f"{part}.correction_info.base_number", "обязателен по предписанию"
    yield from _items(part, doc.get("items"), day)
    yield from _totals(part, doc)


def _company(part: str, company: Any, group_inn: str) -> Iterator[Finding]:
    where = f"{part}.company"
    if not isinstance(company, Mapping):
        yield where, "обязательный объект"
        return
    if company.get("inn") != group_inn:
        yield f"{where}.inn", "не совпадает с ИНН организации группы ККТ"
    if not company.get("payment_address"):
        yield f"{where}.payment_address", "обязательное поле"
    if company.get("sno") not in (None, *SNO):
        yield f"{where}.sno", "допустимо " + ", ".join(SNO)
    email = company.get("email")
    if email is not None and not (isinstance(email, str) and EMAIL.fullmatch(email)):
        yield f"{where}.email", "неверный адрес электронной почты"


def _client(part: str, client: Any) -> Iterator[Finding]:
    where = f"{part}.client"
    if not isinstance(client, Mapping) or not (client.get("email") or client.get("phone")):
        yield where, "обязателен email или phone покупателя (тег 1008)"
        return
    email, phone = client.get("email"), client.get("phone")
    if email and not (isinstance(email, str) and EMAIL.fullmatch(email)):
        yield f"{where}.email", "неверный адрес электронной почты"
    if phone and not (isinstance(phone, str) and PHONE.fullmatch(phone)):
        yield f"{where}.phone", "неверный номер телефона"


def _items(part: str, items: Any, day: date | None) -> Iterator[Finding]:
    if not isinstance(items, list) or not items:
        yield f"{part}.items", "нужна хотя бы одна позиция"
        return
    for i, item in enumerate(items):
        where = f"{part}.items[{i}]"
        if not isinstance(item, Mapping):
            yield where, "ожидается объект"
            continue
        name = item.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            yield f"{where}.name", "строка от 1 до 128 символов"
        price, total = _money(item.get("price")), _money(item.get("sum"))
        qty = item.get("quantity")
        if price is None:
            yield f"{where}.price", "сумма в рублях, не больше 2 знаков после запятой"
        if total is None:
            yield f"{where}.sum", "сумма в рублях, не больше 2 знаков после запятой"
        if isinstance(qty, bool) or not isinstance(qty, int | float) or qty <= 0:
            yield f"{where}.quantity", "положительное число"
        elif price is not None and total is not None:
            expect = (price * Decimal(str(qty))).quantize(CENT, rounding=ROUND_HALF_UP)
            if abs(expect - total) > CENT:
                yield f"{where}.sum", f"не равна price x quantity ({expect})"
        measure = item.get("measure")
        if not isinstance(measure, int) or isinstance(measure, bool) or not 0 <= measure <= 255:
            yield f"{where}.measure", "целое число 0..255 (в v5 не строка)"
        pobj = item.get("payment_object")
        if not isinstance(pobj, int) or isinstance(pobj, bool) or not 1 <= pobj <= 33:
            yield f"{where}.payment_object", "целое число 1..33 (в v5 не строка)"
        if item.get("payment_method") not in METHOD_NAMES:
            yield f"{where}.payment_method", "допустимо " + ", ".join(sorted(METHOD_NAMES))
        yield from _vat(where, item.get("vat"), total, day)
        mark = item.get("mark_code")
        if mark is not None and not (isinstance(mark, Mapping) and len(mark) == 1
                                     and set(mark) <= MARK_TYPES):
            yield f"{where}.mark_code", "один код одного из типов " + ", ".join(sorted(MARK_TYPES))


def _vat(where: str, vat: Any, total: Decimal | None, day: date | None) -> Iterator[Finding]:
    rate = VAT_TYPES.get(str(vat.get("type"))) if isinstance(vat, Mapping) else None
    if rate is None:
        yield f"{where}.vat.type", "допустимо " + ", ".join(VAT_TYPES)
        return
    if day is not None and not rate.valid_on(day):
        yield f"{where}.vat.type", f"ставка {rate.label} не действует на {day:%d.%m.%Y}"
    vsum = vat.get("sum")
    if vsum is not None and total is not None:
        money = _money(vsum)
        expect = Decimal(rate.vat_amount(int(total * 100))) / 100
        if money is None or abs(money - expect) > CENT:
            yield f"{where}.vat.sum", f"ожидается {expect}"


def _totals(part: str, doc: Mapping[str, Any]) -> Iterator[Finding]:
    total = _money(doc.get("total"))
    if total is None:
        yield f"{part}.total", "сумма в рублях, не больше 2 знаков после запятой"
        return
    items = sum((_money(i.get("sum")) or Decimal(0)) for i in doc["items"])
    if items != total:
        yield f"{part}.total", f"не равна сумме позиций ({items})"
    payments = doc.get("payments")
    if not isinstance(payments, list) or not payments:
        yield f"{part}.payments", "нужна хотя бы одна оплата"
        return
    paid = Decimal(0)
    for i, p in enumerate(payments):
        amount = _money(p.get("sum")) if isinstance(p, Mapping) else None
        if not isinstance(p, Mapping) or p.get("type") not in (0, 1, 2, 3, 4):
            yield f"{part}.payments[{i}].type", "целое число 0..4"
        if amount is None or amount == 0:
            yield f"{part}.payments[{i}].sum", "положительная сумма"
        paid += amount or 0
    if paid != total:
        yield f"{part}.payments", f"сумма оплат {paid} не равна total {total}"
    for i, v in enumerate(doc.get("vats") or []):
        if not isinstance(v, Mapping) or v.get("type") not in VAT_TYPES:
            yield f"{part}.vats[{i}].type", "допустимо " + ", ".join(VAT_TYPES)
