"""The in-memory catalog: scans (plain, UPC-A, weighed, priced), PLU and code look-ups, prices
at a moment, Russian name search, and the generated store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from kassa.model.ffd import Measure, VatRate
from kassa_pos.engine.barcodes import BarcodeError, gtin_valid, layouts, with_check_digit
from kassa_pos.engine.catalog import Catalog, CatalogError, Item, ItemFlag
from kassa_pos.engine.prices import PriceList
from kassa_pos.simstore import PROMO_START, demo_catalog, demo_items, demo_rows

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
MILK = with_check_digit("460123456789")
UPC = "036000291452"


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def now(self) -> datetime:
        return self.t


def _catalog(clock: Clock | None = None) -> Catalog:
    items = [
        Item(code="milk", name="Молоко «Простоквашино» 3,2% 1 л", vat=VatRate.VAT10,
             department=2, group="dairy", flags=ItemFlag.MARKING, barcodes=[MILK]),
        Item(code="gum", name="Жевательная резинка", vat=VatRate.VAT22, barcodes=["0" + UPC]),
        Item(code="apple", name="Яблоки Голден", vat=VatRate.VAT10, unit=Measure.KILOGRAM,
             plu=42, flags=ItemFlag.WEIGHED),
        Item(code="ёж", name="Ёжик в тумане, мармелад", vat=VatRate.VAT22,
             barcodes=["LBL-7"]),
        Item(code="beer", name="Пиво светлое", vat=VatRate.VAT22,
             flags=ItemFlag.AGE_RESTRICTED | ItemFlag.MARKING | ItemFlag.FRAGILE),
    ]
    lists = [PriceList(code="base", prices={"milk": 8990, "apple": 15900, "gum": 4500}),
             PriceList(code="evening", priority=5, valid_from=NOW + timedelta(hours=8),
                       prices={"milk": 7190})]
    return Catalog.of(items, lists, site="s1", clock=clock or Clock(),
                      instore=layouts({"20-24": "PP CCCCC WWWWW K",
                                       "25": "PP CCCCC SSSSS K"}))


def test_a_scan_finds_its_item_and_todays_price() -> None:
    clock = Clock()
    cat = _catalog(clock)
    got = cat.lookup(MILK)
    assert got is not None and got.item.code == "milk" and got.price == 8990
    assert got.quantity is None and got.amount is None and got.barcode == MILK
    assert got.item.marking_required and not got.item.weighed
    clock.t = NOW + timedelta(hours=8)  # the evening list starts
    assert cat.lookup(MILK).price == 7190  # type: ignore[union-attr]
    assert cat.lookup(MILK, at=NOW).price == 8990  # type: ignore[union-attr]


def test_upc_a_is_found_under_its_ean13_form() -> None:
    got = _catalog().lookup(UPC)
    assert got is not None and got.item.code == "gum" and got.barcode == "0" + UPC


def test_a_weighed_code_finds_the_item_by_plu_with_its_weight() -> None:
    got = _catalog().lookup(with_check_digit("200004201275"))
    assert got is not None and got.item.code == "apple"
    assert got.quantity == Decimal("1.275") and got.price == 15900 and got.amount is None


def test_a_priced_code_carries_the_line_amount() -> None:
    got = _catalog().lookup(with_check_digit("250004203450"))
    assert got is not None and got.item.code == "apple"
    assert got.amount == 3450 and got.quantity is None


def test_code128_labels_and_unknown_codes() -> None:
    cat = _catalog()
    assert cat.lookup("LBL-7").item.code == "ёж"  # type: ignore[union-attr]
    unknown = with_check_digit("460999999999")
    assert cat.lookup(unknown) is None
    with pytest.raises(CatalogError) as err:
        cat.find(unknown)
    assert str(err.value) == f"Товар со штрихкодом {unknown} не найден"
    assert err.value.text("en") == f"No item has barcode {unknown}"
    with pytest.raises(CatalogError, match="PLU 99"):
        cat.find(with_check_digit("200009901000"))


def test_a_malformed_scan_raises_even_on_the_fast_path() -> None:
    with pytest.raises(BarcodeError, match="Неверная контрольная цифра"):
        _catalog().lookup(MILK[:-1] + str((int(MILK[-1]) + 1) % 10))


def test_an_items_own_barcode_wins_over_the_in_store_reading() -> None:
    shop_code = with_check_digit("200004209999")
    cat = Catalog.of([Item(code="gift", name="Подарочная карта", vat=VatRate.NONE,
                           barcodes=[shop_code]),
                      Item(code="apple", name="Яблоки", vat=VatRate.VAT10, plu=42,
                           unit=Measure.KILOGRAM, flags=ItemFlag.WEIGHED)])
    assert cat.lookup(shop_code).item.code == "gift"  # type: ignore[union-attr]


def test_plu_and_code_lookups_and_no_price() -> None:
    cat = _catalog()
    assert cat.by_plu(42).code == "apple"  # type: ignore[union-attr]
    assert cat.by_plu(43) is None
    assert cat.by_code("beer").age_restricted  # type: ignore[union-attr]
    assert cat.by_code("nope") is None
    assert cat.price("beer") is None  # no list prices it: the till asks
    assert cat.price_list("milk").code == "base"  # type: ignore[union-attr]


@pytest.mark.parametrize(("query", "codes"), [
    ("молоко", ["milk"]),
    ("МОЛ", ["milk"]),
    ("прост мол", ["milk"]),
    ("3,2", ["milk"]),
    ("ежик", ["ёж"]),  # ё is е
    ("ёж тум", ["ёж"]),
    ("яблоки голден", ["apple"]),
    ("олоко", []),  # a word's start, not any substring
    ("молоко пиво", []),
    ("", []),
])
def test_name_search_in_russian(query: str, codes: list[str]) -> None:
    assert [it.code for it in _catalog().search(query)] == codes


def test_search_ranks_names_starting_with_the_first_word_and_finds_codes() -> None:
    cat = Catalog.of([Item(code="1", name="Сок яблочный", vat=VatRate.VAT22),
                      Item(code="2", name="Яблочный уксус", vat=VatRate.VAT22),
                      Item(code="3", name="Яблоки", vat=VatRate.VAT10,
                           barcodes=[MILK])])
    assert [i.code for i in cat.search("ябл")] == ["3", "2", "1"]
    assert [i.code for i in cat.search("ябл", limit=1)] == ["3"]
    assert [i.code for i in cat.search(MILK)] == ["3"]
    assert cat.search("1")[0].code == "1"


def test_the_generated_store_is_deterministic_valid_and_varied() -> None:
    a, b = list(demo_items(seed=7, n=800)), list(demo_items(seed=7, n=800))
    assert a == b and a != list(demo_items(seed=8, n=800))
    items = [it for it, _ in a]
    codes = [c for it in items for c in it.barcodes]
    assert len(codes) == len(set(codes)) and all(gtin_valid(c) for c in codes)
    assert all(460 <= int(c[:3]) <= 469 for c in codes)
    weighed = [it for it in items if it.weighed]
    assert weighed and all(it.plu and it.unit is Measure.KILOGRAM for it in weighed)
    assert len({it.plu for it in weighed}) == len(weighed)
    assert any(it.fragile for it in items) and any(it.marking_required for it in items)
    assert any(it.age_restricted for it in items) and any(len(it.barcodes) > 1 for it in items)
    assert len({it.department for it in items}) >= 8
    assert all(p > 0 for _, p in a)
    cat = demo_catalog(seed=7, n=800)
    assert len(cat) == 800
    some = next(it for it in items if it.barcodes)
    assert cat.lookup(some.barcodes[0], at=PROMO_START).item == some  # type: ignore[union-attr]
    assert [r["code"] for r in demo_rows(seed=7, n=5)] == [it.code for it in items[:5]]
