"""From a catalogue to one scale's PLU table: validation, department / group distribution,
and the per-PLU hashes a DIFF upload compares. The catalogue is ``CatalogueItem`` rows or
the core's neutral ``kassa.model.PluItem`` (what the chain's ``plu`` package carries)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen
from kassa.model import PluItem
from kassa.model.device import PLU_MAX_CODE as MAX_CODE
from kassa.model.device import PLU_MAX_GROUP as MAX_GROUP
from kassa.model.device import PLU_MAX_SHELF_LIFE as MAX_SHELF_LIFE
from kassa.model.device import PLU_MAX_TARE as MAX_TARE

from kassa_scales import shtrih_print as sp
from kassa_scales.settings import ScaleSettings

MAX_MESSAGE, MAX_PICTURE = 0xFFFF, 0xFF  # the record's u16 and u8 (shtrih_print.RECORD)


# a weighed good as the back office knows it: the core's neutral row (``price`` kopecks a
# kilogram, ``plu`` the key on the scale, default the code), what the chain's package carries
CatalogueItem = PluItem


def item_of(raw: Mapping[str, Any] | PluItem) -> PluItem:
    """A catalogue row from a mapping of its fields (or the row itself)."""
    return raw if isinstance(raw, PluItem) else PluItem(**dict(raw))


@frozen(kw_only=True)
class PluTable:
    """What one scale should hold, and what was left out (item code -> reason)."""

    plus: tuple[sp.Plu, ...]
    rejected: Mapping[int, str] = field(factory=dict)

    def hashes(self) -> dict[int, str]:
        return {p.number: plu_hash(p) for p in self.plus}

    @property
    def version(self) -> str:
        """A hash of the whole table: equal tables, equal versions."""
        h = hashlib.sha256()
        for number, digest in sorted(self.hashes().items()):
            h.update(f"{number}:{digest};".encode())
        return h.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.plus)


def plu_hash(p: sp.Plu) -> str:
    return hashlib.sha256(sp.encode_plu(p)).hexdigest()[:16]


def split_name(name: str) -> tuple[str, str]:
    """Two lines of ``NAME_LEN``, broken at a space where one is (else hard)."""
    name = " ".join(name.split())
    if len(name) <= sp.NAME_LEN:
        return name, ""
    cut = name.rfind(" ", 0, sp.NAME_LEN + 1)
    cut = cut if cut > 0 else sp.NAME_LEN
    return name[:cut].rstrip(), name[cut:].strip()


def check(item: CatalogueItem, s: ScaleSettings) -> str | None:
    """Why the item cannot go onto this scale, or None."""
    number = item.plu if item.plu is not None else item.code
    if not 1 <= number <= s.plu_table_size:
        return f"номер PLU {number} вне 1..{s.plu_table_size}"
    if not 1 <= item.code <= MAX_CODE:
        return f"код товара {item.code} вне 1..{MAX_CODE} (5 цифр штрихкода с префиксом" \
               f" {s.barcode_prefix})"
    if not item.name.strip():
        return "пустое наименование"
    try:
        item.name.encode("cp1251")
    except UnicodeEncodeError as exc:
        return f"символ {item.name[exc.start]!r} не передаётся весам (CP1251)"
    one, two = split_name(item.name)
    if len(one) > sp.NAME_LEN or len(two) > sp.NAME_LEN:
        return f"наименование длиннее двух строк по {sp.NAME_LEN} символов"
    if not 1 <= item.price <= s.max_price:
        return f"цена {item.price} коп. вне 1..{s.max_price}"
    if not 0 <= item.shelf_life <= MAX_SHELF_LIFE:
        return f"срок годности {item.shelf_life} сут. вне 0..{MAX_SHELF_LIFE}"
    if not 0 <= item.tare <= MAX_TARE:
        return f"тара {item.tare} г вне 0..{MAX_TARE}"
    if not 0 <= item.group <= MAX_GROUP:
        return f"группа {item.group} вне 0..{MAX_GROUP}"
    if not 0 <= item.message <= MAX_MESSAGE:
        return f"номер сообщения {item.message} вне 0..{MAX_MESSAGE}"
    if not 0 <= item.picture <= MAX_PICTURE:
        return f"номер картинки {item.picture} вне 0..{MAX_PICTURE}"
    return None


def serves(item: CatalogueItem, s: ScaleSettings) -> bool:
    """Department distribution: a scale gets the goods of its departments / groups."""
    if s.departments and item.department not in s.departments:
        return False
    return not s.groups or item.group in s.groups


def table_for(items: Iterable[PluItem], s: ScaleSettings) -> PluTable:
    """What scale ``s`` should hold of ``items``: its departments' and groups' goods that
    pass ``check``; the others of them in ``rejected``."""
    plus: dict[int, sp.Plu] = {}
    rejected: dict[int, str] = {}
    for raw in items:
        item = item_of(raw)
        if not serves(item, s):
            continue
        reason = check(item, s)
        number = item.plu if item.plu is not None else item.code
        if reason is None and number in plus:
            reason = f"номер PLU {number} уже занят товаром {plus[number].code}"
        if reason is not None:
            rejected[item.code] = reason
            continue
        one, two = split_name(item.name)
        plus[number] = sp.Plu(number=number, code=item.code, name1=one, name2=two,
                              price=item.price, shelf_life=item.shelf_life, tare=item.tare,
                              group=item.group, message=item.message, picture=item.picture)
    return PluTable(plus=tuple(plus[n] for n in sorted(plus)), rejected=rejected)
