"""Barcode parsing: GS1 check digits (GS1 General Specifications 7.9.1), the symbologies a
till meets, and in-store weighed / priced codes in restricted circulation prefixes (1.4.1.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kassa_pos.engine.barcodes import (
    DEFAULT_LAYOUTS,
    Barcode,
    BarcodeError,
    Layout,
    Symbology,
    check_digit,
    gtin_valid,
    instore_code,
    layouts,
    parse,
    with_check_digit,
)

# published examples: GS1's own EAN-13 (5901234123457), GS1 Germany's check-digit page
# (4006381333931), GS1 UAE (6291041500213), the usual UPC-A (036000291452, 012345678905)
# and EAN-8 (96385074, 73513537) examples
VALID = [("5901234123457", Symbology.EAN13, "5901234123457"),
         ("4006381333931", Symbology.EAN13, "4006381333931"),
         ("6291041500213", Symbology.EAN13, "6291041500213"),
         ("4600051000057", Symbology.EAN13, "4600051000057"),
         ("036000291452", Symbology.UPCA, "0036000291452"),
         ("012345678905", Symbology.UPCA, "0012345678905"),
         ("96385074", Symbology.EAN8, "96385074"),
         ("73513537", Symbology.EAN8, "73513537")]
BROKEN = ["5901234123458", "4006381333930", "036000291453", "96385075", "2012345012342"]


@pytest.mark.parametrize(("scan", "symbology", "code"), VALID)
def test_published_examples_parse(scan: str, symbology: Symbology, code: str) -> None:
    got = parse(scan)
    assert (got.symbology, got.code) == (symbology, code)
    assert gtin_valid(scan)


@pytest.mark.parametrize("scan", BROKEN)
def test_a_wrong_check_digit_is_one_russian_sentence(scan: str) -> None:
    with pytest.raises(BarcodeError) as err:
        parse(scan, layouts(DEFAULT_LAYOUTS))
    assert str(err.value) == f"Неверная контрольная цифра в штрихкоде {scan}"
    assert err.value.text("en") == f"Wrong check digit in barcode {scan}"
    assert not gtin_valid(scan)


@pytest.mark.parametrize("scan", ["123", "12345678901", "12345678901234"])
def test_a_digit_count_no_symbology_has_is_refused(scan: str) -> None:
    with pytest.raises(BarcodeError, match=f"{len(scan)} цифр"):
        parse(scan)


def test_code128_is_kept_as_free_text_and_junk_is_refused() -> None:
    assert parse(" LBL-0042/A ") == Barcode(symbology=Symbology.CODE128, code="LBL-0042/A")
    with pytest.raises(BarcodeError, match="недопустимые символы"):
        parse("ЯБЛОКО")
    with pytest.raises(BarcodeError, match="недопустимые символы"):
        parse("AB\x07C")
    with pytest.raises(BarcodeError, match="длиннее 48"):
        parse("A" * 49)
    with pytest.raises(BarcodeError, match="Пустой"):
        parse("   ")


def test_check_digit_matches_the_gs1_examples() -> None:
    assert check_digit("590123412345") == 7
    assert check_digit("629104150021") == 3
    assert check_digit("9638507") == 4
    assert with_check_digit("400638133393") == "4006381333931"


@given(st.text("0123456789", min_size=12, max_size=12))
def test_a_generated_ean13_roundtrips(body: str) -> None:
    code = with_check_digit(body)
    got = parse(code)
    assert got.code == code and got.symbology is Symbology.EAN13


@given(st.text("0123456789", min_size=7, max_size=7))
def test_a_generated_ean8_roundtrips(body: str) -> None:
    assert parse(with_check_digit(body)).code == with_check_digit(body)


@given(st.text("0123456789", min_size=12, max_size=12), st.integers(0, 12),
       st.integers(1, 9))
def test_any_single_digit_error_is_detected(body: str, where: int, delta: int) -> None:
    code = with_check_digit(body)
    wrong = code[:where] + str((int(code[where]) + delta) % 10) + code[where + 1:]
    with pytest.raises(BarcodeError, match="контрольная цифра"):
        parse(wrong, layouts(DEFAULT_LAYOUTS))


def test_a_weighed_code_gives_plu_and_kilograms() -> None:
    lay = layouts(DEFAULT_LAYOUTS)
    code = with_check_digit("201234501234")
    got = parse(code, lay)
    assert got.symbology is Symbology.INSTORE
    assert (got.plu, got.grams, got.price) == (12345, 1234, None)
    assert got.quantity == Decimal("1.234") and got.restricted
    assert instore_code("20", lay["20"], plu=12345, grams=1234) == code


def test_a_priced_code_gives_the_line_sum_and_prefixes_may_differ() -> None:
    lay = layouts({"20-24": "PP CCCCC WWWWW K", "25": "PP CCCCC SSSSS K",
                   "2": "P CCCCCC WWWWW K"})
    priced = with_check_digit("250004203450")
    got = parse(priced, lay)
    assert (got.plu, got.grams, got.price) == (42, None, 3450) and got.quantity is None
    # the longest configured prefix wins: 27 is not in 20-25, so "2" reads it
    got = parse(with_check_digit("270004200500"), lay)
    assert (got.plu, got.grams) == (700042, 500)
    # outside the configured prefixes a 2x code is an ordinary (shop-assigned) EAN-13
    assert parse(priced, layouts({"20": "PP CCCCC WWWWW K"})).symbology is Symbology.EAN13


def test_layouts_refuse_what_is_not_a_restricted_circulation_number() -> None:
    for bad in ("46", "30-39", "19", "24-20", "2x"):
        with pytest.raises(BarcodeError, match="префикс"):
            layouts({bad: "PP CCCCC WWWWW K"})
    assert set(layouts({"02": "PP CCCCC WWWWW K"})) == {"02"}


@pytest.mark.parametrize(("pattern", "why"), [
    ("PP CCCCC WWWW K", "12 знаков"),
    ("PP CCCCC WWWWW X", "одной K"),
    ("PP CCWCC WWWWW K", "подряд"),
    ("PP CCCCC WWSSS K", "ровно один"),
    ("PP WWWWW WWWWW K", "нет PLU"),
    ("PP CCCCC ZZZZZ K", "допустимы"),
    ("CC PPPPP WWWWW K", "префикса"),
])
def test_a_bad_layout_says_what_is_wrong(pattern: str, why: str) -> None:
    with pytest.raises(BarcodeError, match=why):
        Layout.parse(pattern)


def test_a_layout_needs_as_many_p_as_its_prefix_has_digits() -> None:
    with pytest.raises(BarcodeError, match="2 P") as err:
        layouts({"20": "P CCCCCC WWWWW K"})
    assert err.value.text("en") == ("Wrong weighed-goods barcode layout 'P CCCCCC WWWWW K':"
                                    " prefix 20 takes 2 P, not 1")


def test_restricted_numbers_are_told_apart_from_gtins() -> None:
    assert not parse("4600051000057").restricted
    assert parse(with_check_digit("200000000001")).restricted
    assert parse(with_check_digit("0400000")).restricted  # RCN-8
    assert not parse("96385074").restricted


@given(st.sampled_from([str(p) for p in range(20, 30)]), st.integers(0, 99_999),
       st.integers(0, 99_999))
def test_a_generated_weighed_code_roundtrips(prefix: str, plu: int, grams: int) -> None:
    lay = layouts(DEFAULT_LAYOUTS)
    got = parse(instore_code(prefix, lay[prefix], plu=plu, grams=grams), lay)
    assert (got.symbology, got.plu, got.grams) == (Symbology.INSTORE, plu, grams)
    assert got.quantity == Decimal(grams) / 1000


def test_instore_code_refuses_what_does_not_fit() -> None:
    lay = layouts(DEFAULT_LAYOUTS)["20"]
    with pytest.raises(ValueError, match="does not fit"):
        instore_code("20", lay, plu=100_000, grams=1)
    with pytest.raises(ValueError, match="does not fit"):
        instore_code("20", lay, plu=1)  # the layout has a weight: it must be given
    with pytest.raises(ValueError, match="not 2 digits"):
        instore_code("2", lay, plu=1, grams=1)
