"""A generated store catalog: a few thousand real-looking items, deterministic from a seed.

EAN-13 codes carry a Russian GS1 prefix (460-469, GS1 Russia's range) and a valid check
digit; weighed goods (fruit, vegetables, meat, cheese by weight) have PLUs and no barcode of
their own (the scales print a 2x code: ``barcodes.instore_code``); glass and eggs are
fragile; dairy, water, beer, tobacco and perfume carry the marking flag (Chestny ZNAK); beer,
wine and tobacco are age-restricted. Used by the demo, the benchmark and the other helpers'
tests::

    from kassa_pos.simstore import demo_catalog
    catalog = demo_catalog(seed=1, n=3000)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import frozen
from kassa.model.ffd import Measure, VatRate

from kassa_pos.engine.barcodes import with_check_digit
from kassa_pos.engine.catalog import Catalog, Item, ItemFlag
from kassa_pos.engine.prices import PriceList


@frozen
class _Kind:
    department: int
    group: str
    names: tuple[str, ...]
    sizes: tuple[str, ...]
    price: tuple[int, int]  # rubles, low..high
    vat: VatRate = VatRate.VAT22
    flags: ItemFlag = ItemFlag.NONE
    weighed: bool = False


_F = ItemFlag
_KINDS = (
    _Kind(1, "grocery", ("Гречка", "Рис длиннозёрный", "Макароны", "Мука пшеничная",
                         "Сахар", "Соль", "Овсяные хлопья", "Чай чёрный", "Кофе молотый"),
          ("400 г", "800 г", "1 кг", "250 г"), (45, 690), VatRate.VAT10),
    _Kind(2, "dairy", ("Молоко 3,2%", "Кефир 1%", "Йогурт клубничный", "Сметана 20%",
                       "Творог 5%", "Ряженка", "Масло сливочное 82,5%"),
          ("200 г", "450 г", "930 мл", "1 л"), (49, 260), VatRate.VAT10, _F.MARKING),
    _Kind(2, "cheese", ("Сыр Российский", "Сыр Гауда", "Сыр Маасдам"), ("весовой",),
          (690, 1490), VatRate.VAT10, weighed=True),
    _Kind(3, "produce", ("Яблоки Гала", "Бананы", "Апельсины", "Картофель", "Морковь",
                         "Лук репчатый", "Огурцы", "Помидоры", "Капуста белокочанная",
                         "Груши", "Лимоны", "Мандарины"),
          ("весовые",), (39, 390), VatRate.VAT10, weighed=True),
    _Kind(4, "meat", ("Куриное филе", "Свинина шейка", "Говядина лопатка", "Фарш домашний"),
          ("охлаждённое",), (329, 990), VatRate.VAT10, weighed=True),
    _Kind(5, "drinks", ("Вода питьевая", "Сок яблочный", "Лимонад", "Морс клюквенный"),
          ("0,5 л", "1 л", "1,5 л", "2 л"), (35, 190), VatRate.VAT22, _F.MARKING),
    _Kind(6, "alcohol", ("Пиво светлое", "Вино красное сухое", "Вино белое полусладкое"),
          ("0,45 л", "0,75 л"), (89, 1290), VatRate.VAT22,
          _F.MARKING | _F.AGE_RESTRICTED | _F.FRAGILE),
    _Kind(7, "tobacco", ("Сигареты", "Сигариллы"), ("20 шт",), (189, 320), VatRate.VAT22,
          _F.MARKING | _F.AGE_RESTRICTED),
    _Kind(8, "household", ("Стакан стеклянный", "Тарелка фарфоровая", "Банка стеклянная"),
          ("250 мл", "0,5 л", "1 л"), (59, 450), VatRate.VAT22, _F.FRAGILE),
    _Kind(1, "eggs", ("Яйцо куриное С1", "Яйцо куриное С0"), ("10 шт", "6 шт"), (79, 169),
          VatRate.VAT10, _F.FRAGILE),
    _Kind(9, "chemicals", ("Средство для посуды", "Стиральный порошок", "Мыло жидкое",
                           "Туалетная бумага"), ("500 мл", "1 кг", "4 рул"), (59, 790)),
    _Kind(10, "cosmetics", ("Духи", "Туалетная вода"), ("30 мл", "50 мл"), (990, 4990),
          VatRate.VAT22, _F.MARKING | _F.FRAGILE),
    _Kind(11, "bakery", ("Хлеб Бородинский", "Батон нарезной", "Багет", "Лаваш"),
          ("300 г", "400 г"), (35, 120), VatRate.VAT10),
)
_WEIGHTS = (12, 10, 2, 6, 3, 8, 3, 2, 3, 2, 6, 1, 5)  # how common each kind is
_CUMULATIVE = tuple(sum(_WEIGHTS[:i + 1]) for i in range(len(_WEIGHTS)))
_BRANDS = ("Простоквашино", "Домик в деревне", "Вкусвилл", "Красная цена", "Селяночка",
           "Северная", "Агуша", "Мираторг", "Макфа", "Увелка", "Фрутоняня", "Сады Придонья",
           "Золотая семечка", "Эконом", "Первый вкус", "Лебедянский", "Черноголовка",
           "Жигулёвское", "Тамань", "Фанагория")


PLU_MAX = 99_999


def demo_items(seed: int = 1, n: int = 3000) -> Iterator[tuple[Item, int]]:
    """``n`` items with their base price (kopecks), the same for the same seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    plu = 0

    def ean() -> str:
        while True:
            code = with_check_digit(f"46{rng.randrange(10 ** 10):010d}")
            if code not in seen:
                seen.add(code)
                return code

    for i in range(n):
        kind = rng.choices(_KINDS, cum_weights=_CUMULATIVE)[0]
        while kind.weighed and plu >= PLU_MAX:  # PLUs are 5 digits in the default layout
            kind = rng.choices(_KINDS, cum_weights=_CUMULATIVE)[0]
        name = f"{rng.choice(kind.names)} {rng.choice(_BRANDS)} {rng.choice(kind.sizes)}"
        lo, hi = kind.price
        price = rng.randrange(lo, hi + 1) * 100 + rng.choice((0, 90, 99, 50))
        if kind.weighed:
            plu += 1
            item = Item(code=f"{i + 1:07d}", name=name, vat=kind.vat, unit=Measure.KILOGRAM,
                        plu=plu, department=kind.department, group=kind.group,
                        flags=kind.flags | ItemFlag.WEIGHED)
        else:
            codes = [ean()] if i % 40 else [ean(), ean()]  # some have a second pack's code
            item = Item(code=f"{i + 1:07d}", name=name, vat=kind.vat,
                        department=kind.department, group=kind.group, flags=kind.flags,
                        barcodes=sorted(codes))
        yield item, price


PROMO_START = datetime(2026, 1, 1, tzinfo=UTC)


def demo_price_lists(items: list[tuple[Item, int]], seed: int = 1) -> list[PriceList]:
    """The base list (every store) and a promotion on about one item in twenty (15 % off,
    priority 10, valid from ``PROMO_START`` for a year)."""
    rng = random.Random(seed + 1)
    base = PriceList(code="base", name="Базовый", prices={it.code: p for it, p in items})
    promo = PriceList(code="promo", name="Акция", priority=10, valid_from=PROMO_START,
                      valid_to=PROMO_START + timedelta(days=365),
                      prices={it.code: p * 85 // 100 for it, p in items if rng.random() < 0.05})
    return [base, promo]


def demo_catalog(seed: int = 1, n: int = 3000, *, site: str = "s1",
                 clock: Any = None) -> Catalog:
    """An in-memory catalog (no store behind it) with the default in-store layout
    (20-29 as ``PP CCCCC WWWWW K``)."""
    items = list(demo_items(seed, n))
    return Catalog.of([it for it, _ in items], demo_price_lists(items, seed), site=site,
                      clock=clock)


def demo_rows(seed: int = 1, n: int = 3000) -> list[dict[str, Any]]:
    """The same catalog as import rows (``Catalog.import_rows`` / ``kassa pos catalog
    import``): what a shop's export would look like."""
    flag_names = {ItemFlag.FRAGILE: "fragile", ItemFlag.MARKING: "marking",
                  ItemFlag.WEIGHED: "weighed", ItemFlag.AGE_RESTRICTED: "age"}
    return [{"code": it.code, "name": it.name, "vat": it.vat.label,
             "unit": "кг" if it.unit is Measure.KILOGRAM else "шт",
             "plu": it.plu or "", "department": it.department, "group": it.group,
             "flags": ",".join(v for f, v in flag_names.items() if f in it.flags),
             "barcodes": ";".join(it.barcodes), "price": f"{p // 100}.{p % 100:02d}"}
            for it, p in demo_items(seed, n)]
