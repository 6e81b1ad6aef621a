"""Price tags and barcode labels: the PDF is rendered to pixels (pypdfium2) and read back —
EAN barcodes decoded from a scanned pixel row by the GS1 tables, texts extracted from the
text layer, tag positions measured on the page."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # ships no py.typed
import pytest
from click.testing import CliRunner
from kassa.model.ffd import Measure, VatRate
from kassa.model.money import format_money
from kassa_pos.engine.barcodes import check_digit, with_check_digit
from kassa_pos.engine.catalog import Catalog, Item
from kassa_pos.engine.prices import PriceList
from kassa_pos.labels import (
    Kind,
    Layout,
    LayoutError,
    Ledger,
    Tag,
    changed_since,
    changed_since_printed,
    pick,
    render,
    tags_for,
)

VAT = VatRate.VAT22
DPI = 400

# --- an EAN decoder over one pixel row (GS1 General Specifications, 5.2.1.2: the L, G and R
# sets and the first digit's L/G parity pattern) ------------------------------------------
L_CODES = ["0001101", "0011001", "0010011", "0111101", "0100011",
           "0110001", "0101111", "0111011", "0110111", "0001011"]
R_CODES = ["".join("1" if b == "0" else "0" for b in code) for code in L_CODES]
G_CODES = [code[::-1] for code in R_CODES]
PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
          "LGGLLG", "LGGGLG", "LGLGLG", "LGLGGL", "LGGLGL"]


def runs(row: list[int]) -> list[tuple[int, int]]:
    """(dark, width) runs of a grey pixel row, dark below half."""
    out: list[tuple[int, int]] = []
    for px in row:
        dark = int(px < 128)
        if out and out[-1][0] == dark:
            out[-1] = (dark, out[-1][1] + 1)
        else:
            out.append((dark, 1))
    return out


def _bits(widths: list[int], module: float, first: int) -> str | None:
    mods = [round(w / module) for w in widths]
    if any(m < 1 or m > 4 for m in mods) or sum(mods) != 7:
        return None
    return "".join(str(first ^ (i % 2)) * m for i, m in enumerate(mods))


def decode_ean(row: list[int]) -> str | None:
    """The EAN-13 or EAN-8 in a row of pixels, check digit verified, or None."""
    rs = runs(row)
    for start in range(len(rs)):
        if rs[start][0] != 1:
            continue
        for half in (6, 4):  # EAN-13: 6 + 6 digits, EAN-8: 4 + 4
            n = 3 + 4 * half + 5 + 4 * half + 3
            seg = [w for _, w in rs[start:start + n]]
            if len(seg) < n:
                continue
            module = sum(seg) / (14 + 14 * half)
            if any(round(w / module) != 1 for w in seg[:3] + seg[-3:]):
                continue
            left = [_bits(seg[3 + 4 * i:7 + 4 * i], module, 0) for i in range(half)]
            mid = 3 + 4 * half
            right = [_bits(seg[mid + 5 + 4 * i:mid + 9 + 4 * i], module, 1)
                     for i in range(half)]
            digits, parity = "", ""
            for b in left:
                if b in L_CODES:
                    digits, parity = digits + str(L_CODES.index(b)), parity + "L"
                elif half == 6 and b in G_CODES:
                    digits, parity = digits + str(G_CODES.index(b)), parity + "G"
                else:
                    break
            else:
                if not all(b in R_CODES for b in right):
                    continue
                digits += "".join(str(R_CODES.index(b)) for b in right if b is not None)
                if half == 6:
                    if parity not in PARITY:
                        continue
                    digits = str(PARITY.index(parity)) + digits
                if check_digit(digits[:-1]) == int(digits[-1]):
                    return digits
    return None


def pages(pdf: bytes) -> list[Any]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i] for i in range(len(doc))]


def scan_page(page: Any, box: tuple[float, float, float, float] | None = None) -> str | None:
    """Scan the page's pixel rows (as a laser sweeps a label) until one decodes; ``box``:
    only that part of the page (left, top, right, bottom in mm)."""
    img = page.render(scale=DPI / 72).to_pil().convert("L")
    if box is not None:
        img = img.crop(tuple(round(v * DPI / 25.4) for v in box))
    w, h = img.size
    data = img.tobytes()
    for y in range(0, h, 3):
        code = decode_ean(list(data[y * w:(y + 1) * w]))
        if code is not None:
            return code
    return None


def text_of(page: Any) -> str:
    """The page's text layer, a wrapped name's lines joined by a space (pdfium reads a
    no-break space as a space, so both are one here)."""
    text = str(page.get_textpage().get_text_range()).replace("\u00a0", " ")
    return " ".join(text.splitlines())


def catalog(items: list[Item], prices: dict[str, int],
            lists: list[PriceList] | None = None) -> Catalog:
    return Catalog.of(items, [PriceList(code="base", prices=prices), *(lists or [])])


def gtin13(rng: random.Random) -> str:
    return with_check_digit("46" + "".join(rng.choice("0123456789") for _ in range(10)))


# --- barcodes -----------------------------------------------------------------------------

def test_ean13_labels_decode_back_from_the_pixels_to_the_items_barcodes() -> None:
    rng = random.Random(16)
    items = [Item(code=f"A{i}", name=f"Товар {i}", vat=VAT, barcodes=[gtin13(rng)])
             for i in range(5)]
    cat = catalog(items, {it.code: 9990 + i for i, it in enumerate(items)})
    tags, rejects = tags_for(cat, items, store="Магазин")
    sheet = render(tags, Kind.BARCODE, Layout.parse("roll-58x40"))
    assert rejects == [] and sheet.rejects == [] and sheet.pages == 5
    assert [scan_page(p) for p in pages(sheet.pdf)] == [it.barcodes[0] for it in items]


def test_ean8_and_a_narrow_a4_grid_still_decode() -> None:
    items = [Item(code="E8", name="Жвачка", vat=VAT, barcodes=[with_check_digit("4600123")]),
             Item(code="E13", name="Сок", vat=VAT, barcodes=[with_check_digit("460000000077")])]
    cat = catalog(items, {"E8": 4900, "E13": 12900})
    tags, _ = tags_for(cat, items)
    sheet = render(tags[:1], Kind.BARCODE, Layout.parse("roll-40x25"))
    assert scan_page(pages(sheet.pdf)[0]) == items[0].barcodes[0]
    # five columns on A4: cells of ~39 mm, so the module shrinks below 0.33 mm and must
    # still decode
    layout = Layout.parse("a4-5x13")
    sheet = render(tags[1:], Kind.BARCODE, layout)
    x, y = layout.origin(0)
    cell = (x, 297 - y - layout.cell[1], x + layout.cell[0], 297 - y)
    assert scan_page(pages(sheet.pdf)[0], cell) == items[1].barcodes[0]


def test_the_decoder_fails_on_a_wrong_check_digit_and_on_blank_pixels() -> None:
    good = with_check_digit("460000000077")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    tag = Tag(code="X", name="x", price=100, barcode=good)
    page = pages(render([tag], Kind.BARCODE, Layout.parse("roll-58x40")).pdf)[0]
    assert scan_page(page) == good
    assert decode_ean([255] * 800) is None
    # the same bars with the last digit's pattern swapped for another: no longer an EAN
    sheet = render([Tag(code="Y", name="y", price=100, barcode=bad)], Kind.BARCODE,
                   Layout.parse("roll-58x40"))
    assert sheet.pages == 0 and "контрольной цифрой" in sheet.rejects[0].error.text()


def test_code128_for_the_shops_own_codes_carries_its_text() -> None:
    tag = Tag(code="P1", name="Пакет", price=500, barcode="SHOP-77")
    page = pages(render([tag], Kind.BARCODE, Layout.parse("roll-58x40")).pdf)[0]
    assert "SHOP-77" in text_of(page)
    img = page.render(scale=DPI / 72).to_pil().convert("L")
    w, h = img.size
    row = list(img.tobytes()[(h // 2) * w:(h // 2 + 1) * w])
    bars = [r for r in runs(row) if r[0] == 1]
    # Code 128: start (3 bars) + 7 chars x 3 + check (3) + stop (4 bars)
    assert len(bars) == 3 + 7 * 3 + 3 + 4


def test_an_item_without_a_barcode_is_one_sentence_and_the_others_print() -> None:
    rng = random.Random(5)
    items = [Item(code="A", name="Хлеб", vat=VAT, barcodes=[gtin13(rng)]),
             Item(code="B", name="Яблоки", vat=VAT, unit=Measure.KILOGRAM),
             Item(code="C", name="Молоко", vat=VAT, barcodes=[gtin13(rng)])]
    cat = catalog(items, {"A": 5500, "B": 15990, "C": 8990})
    tags, _ = tags_for(cat, items)
    sheet = render(tags, Kind.BARCODE, Layout.parse("roll-58x40"))
    assert [t.code for t in sheet.printed] == ["A", "C"] and sheet.pages == 2
    [reject] = sheet.rejects
    assert reject.code == "B"
    assert reject.error.text() == ("B «Яблоки»: у товара нет штрихкода — этикетка не "
                                   "напечатана")
    assert reject.error.text("en").count(".") == 0 and "no barcode" in reject.error.text("en")
    assert [scan_page(p) for p in pages(sheet.pdf)] == [items[0].barcodes[0],
                                                        items[2].barcodes[0]]


# --- tags ---------------------------------------------------------------------------------

def test_a_tag_shows_the_cyrillic_name_the_price_the_unit_price_code_date_and_store() -> None:
    items = [Item(code="M1", name="Молоко «Простоквашино» 3,2% 930 мл", vat=VAT,
                  barcodes=[with_check_digit("460123456789")]),
             Item(code="K2", name="Яблоки Гренни Смит", vat=VAT, unit=Measure.KILOGRAM)]
    cat = catalog(items, {"M1": 123450, "K2": 15990})
    tags, _ = tags_for(cat, items, store="Магазин №1", day=date(2026, 12, 2))
    sheet = render(tags, Kind.TAG, Layout.parse("roll-58x40"))
    first, second = (text_of(p) for p in pages(sheet.pdf))
    assert format_money(123450) == "1\u00a0234,50\u00a0₽"  # no-break spaces:
    # pdfium hands them back as plain spaces, so the texts below are compared with spaces
    for part in ("Молоко «Простоквашино» 3,2% 930 мл", "1 234,50 ₽", "за 1 шт",
                 "код M1", "02.12.2026", "Магазин №1", items[0].barcodes[0]):
        assert part in first, (part, first)
    for part in ("Яблоки Гренни Смит", "159,90 ₽", "за 1 кг", "100 г: 15,99 ₽"):
        assert part in second, (part, second)
    en = text_of(pages(render(tags[1:], Kind.TAG, Layout.parse("roll-58x40"),
                              locale="en").pdf)[0])
    assert "159.90 ₽" in en and "per 1 kg" in en and "100 g: 15.99 ₽" in en


def test_the_font_is_embedded_not_taken_from_the_system() -> None:
    tag = Tag(code="Ж", name="Ёжик", price=100)
    pdf = render([tag], Kind.TAG, Layout.parse("roll-58x40")).pdf
    assert b"/FontFile2" in pdf and b"DejaVuSans" in pdf  # a TrueType subset inside
    assert b"/Helvetica" not in pdf  # no base-14 font a viewer would substitute


def test_a_long_name_is_cut_to_two_lines_with_an_ellipsis() -> None:
    tag = Tag(code="L", name="Очень длинное наименование товара " * 6, price=100)
    text = text_of(pages(render([tag], Kind.TAG, Layout.parse("a4-3x8")).pdf)[0])
    assert "…" in text and text.count("Очень") <= 4


def test_the_grid_places_24_tags_per_page_in_3_columns_and_8_rows() -> None:
    items = [Item(code=f"G{i:02d}", name=f"Товар {i}", vat=VAT) for i in range(25)]
    cat = catalog(items, {it.code: 1000 + i for i, it in enumerate(items)})
    tags, _ = tags_for(cat, items)
    layout = Layout.parse("a4-3x8")
    sheet = render(tags, Kind.TAG, layout)
    first, second = pages(sheet.pdf)
    assert sheet.pages == 2 and layout.per_page == 24
    spots = set()
    tp = first.get_textpage()
    for it in items[:24]:
        found = tp.search(f"код {it.code}").get_next()
        assert found is not None, it.code
        left, bottom, _, _ = tp.get_charbox(found[0])
        spots.add((round(left), round(bottom)))
    xs, ys = {x for x, _ in spots}, {y for _, y in spots}
    assert len(spots) == 24 and len(xs) == 3 and len(ys) == 8
    # the columns are a cell's width apart: 210 mm less two 8 mm margins, in thirds
    cell = (210 - 16) / 3 * 72 / 25.4
    assert sorted(xs)[1] - sorted(xs)[0] == pytest.approx(cell, abs=1.5)
    assert "код G24" in text_of(second) and "код G00" not in text_of(second)


def test_layouts_parse_and_refuse_what_does_not_fit() -> None:
    a4 = Layout.parse("a4-3x8@70x37")
    assert (a4.cols, a4.rows, a4.cell) == (3, 8, (70.0, 37.0))
    assert a4.margin_left == 0 and a4.margin_top == pytest.approx((297 - 8 * 37) / 2)
    assert Layout.parse("roll-58x40").page == (58.0, 40.0)
    assert Layout.parse("A4-2х5").per_page == 10  # a Cyrillic "х" typed for the "x"
    for bad in ("a4-4x8@70x37", "letter", "roll-5x5", "a4-0x3"):
        with pytest.raises(LayoutError) as exc:
            Layout.parse(bad)
        assert "раскладка" in str(exc.value)


# --- selection and the record of printed batches -----------------------------------------

def test_changed_since_a_date_follows_the_price_lists_validity() -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    items = [Item(code=c, name=c, vat=VAT) for c in ("A", "B", "C")]
    promo = PriceList(code="promo", priority=10, valid_from=t0 + timedelta(days=1),
                      prices={"B": 900})
    ended = PriceList(code="old", priority=10, valid_to=t0 + timedelta(hours=5),
                      prices={"C": 100})
    cat = catalog(items, {"A": 1000, "B": 1000, "C": 1000}, [promo, ended])
    now = t0 + timedelta(days=2)
    assert [i.code for i in changed_since(cat, t0, now)] == ["B", "C"]
    assert changed_since(cat, now - timedelta(hours=1), now) == []


def test_changed_since_printed_uses_the_ledger(tmp_path: Path) -> None:
    items = [Item(code=c, name=c, vat=VAT) for c in ("A", "B")]
    ledger = Ledger(tmp_path / "labels.jsonl")
    cat = catalog(items, {"A": 1000, "B": 2000})
    assert [i.code for i in changed_since_printed(cat, ledger)] == ["A", "B"]  # never printed
    tags, _ = tags_for(cat, items)
    ledger.record(Kind.TAG, tags, at=datetime.now(UTC), layout="a4-3x8")
    assert changed_since_printed(cat, ledger) == []
    assert len(changed_since_printed(cat, ledger, Kind.BARCODE)) == 2  # kinds kept apart
    edited = catalog(items, {"A": 1000, "B": 2500})  # a list edited in place
    assert [i.code for i in changed_since_printed(edited, ledger)] == ["B"]
    with ledger.path.open("a", encoding="utf-8") as f:
        f.write('{"kind": "tag", "items": {"B": 25')  # a crash mid-append
    assert [i.code for i in changed_since_printed(edited, ledger)] == ["B"]


def test_pick_by_code_or_barcode_once_each_and_unknown_ones_are_sentences() -> None:
    ean = with_check_digit("460000000084")
    items = [Item(code="A", name="a", vat=VAT, barcodes=[ean]), Item(code="B", name="b", vat=VAT)]
    cat = catalog(items, {"A": 100})
    found, rejects = pick(cat, ["B", ean, "A", " ", "nope"])
    assert [i.code for i in found] == ["B", "A"]
    assert [r.error.text() for r in rejects] == ["nope: нет такого товара (ни кода, ни штрихкода)"]
    tags, no_price = tags_for(cat, found)
    assert [t.code for t in tags] == ["A"] and no_price[0].code == "B"
    assert "нет действующей цены" in no_price[0].error.text()


def test_the_cli_prints_by_codes_then_only_what_changed(tmp_path: Path) -> None:
    from kassa_pos.cli import group

    config = tmp_path / "kassa.toml"
    config.write_text(f'[store]\nurl = "sqlite+aiosqlite:///{tmp_path / "kassa.db"}"\n'
                      f'[hub]\ndata_dir = "{tmp_path}"\n'
                      '[[sites]]\ncode = "s1"\nname = "Магазин на Ленина"\n',
                      encoding="utf-8")
    ean = with_check_digit("460000000091")
    rows = [{"code": "A", "name": "Хлеб «Бородинский»", "vat": "22", "barcodes": ean,
             "price": "55.00"},
            {"code": "B", "name": "Яблоки", "vat": "22", "unit": "кг", "price": "159.90"}]
    data = tmp_path / "catalog.json"
    data.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    run = CliRunner().invoke
    assert run(group(), ["catalog", "import", str(data), "-c", str(config)]).exit_code == 0
    out = tmp_path / "tags.pdf"
    res = run(group(), ["labels", "--codes", f"{ean},B,Z", "-o", str(out), "-c", str(config)])
    assert res.exit_code == 0, res.output
    assert "напечатано 2 (ценники) на 1 стр." in res.output
    assert "Z: нет такого товара" in res.output
    text = text_of(pages(out.read_bytes())[0])
    assert "Хлеб «Бородинский»" in text and "55,00 ₽" in text
    assert "Магазин на Ленина" in text
    res = run(group(), ["labels", "--changed-since", "last", "-o", str(out),
                        "-c", str(config)])
    assert res.exit_code == 1 and "нечего печатать" in res.output
    rows[1]["price"] = "149.90"
    data.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert run(group(), ["catalog", "import", str(data), "-c", str(config)]).exit_code == 0
    label = tmp_path / "labels.pdf"
    res = run(group(), ["labels", "--changed-since", "last", "--kind", "barcode",
                        "--layout", "roll-58x40", "-o", str(label), "-c", str(config),
                        "--locale", "en"])
    # barcode labels were never printed: both are due, and the apples have no barcode
    assert res.exit_code == 0, res.output
    assert "printed 1 (barcode labels)" in res.output and "B \"Яблоки\"" in res.output
    assert scan_page(pages(label.read_bytes())[0]) == ean
    res = run(group(), ["labels", "--changed-since", "last", "-o", str(out),
                        "-c", str(config)])
    assert res.exit_code == 0 and "напечатано 1 (ценники)" in res.output
    assert "149,90 ₽" in text_of(pages(out.read_bytes())[0])
    res = run(group(), ["labels", "--changed-since", "вчера", "-o", str(out),
                        "-c", str(config)])
    assert res.exit_code == 1 and "не дата" in res.output
    res = run(group(), ["labels", "-o", str(out), "-c", str(config)])
    assert res.exit_code == 2 and "ровно одно" in res.output


def test_building_the_cli_does_not_import_reportlab() -> None:
    # `kassa` builds every plugin's commands at start; reportlab costs ~0.5 s to import
    import subprocess
    import sys

    code = ("import sys, kassa_pos.cli; kassa_pos.cli.group(); "
            "print('reportlab' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("unit", "price", "ru", "en"), [
    (Measure.KILOGRAM, 15995, "100 г: 16,00 ₽", "100 g: 16.00 ₽"),  # 1599.5 rounds half up
    (Measure.GRAM, 12, "1 кг: 120,00 ₽", "1 kg: 120.00 ₽"),
    (Measure.LITER, 9990, "100 мл: 9,99 ₽", "100 ml: 9.99 ₽"),
    (Measure.MILLILITER, 5, "1 л: 50,00 ₽", "1 l: 50.00 ₽"),
    (Measure.PIECE, 9990, None, None),
])
def test_the_unit_price_per_reference_quantity(unit: Measure, price: int, ru: str | None,
                                               en: str | None) -> None:
    tag = Tag(code="U", name="u", price=price, unit=unit)
    got = tag.unit_price(), tag.unit_price("en")
    assert tuple(g.replace("\u00a0", " ") if g else g for g in got) == (ru, en)
